/**
 * The demo's event stream: what the scheduler would enqueue in a morning at the lab, played
 * through Redis to workers started in the demo's process, using the rows the seed set aside
 * (`SeedSummary.notable`).
 *
 * Playing it needs the queue runtime (job contracts, producer, workers) and the rule engine
 * (policies, decisions), which this build does not have yet: `playScenario` then plays nothing,
 * says so, and lists what it will play. It is never simulated: a decision shown by the demo is
 * one a worker wrote.
 */
import type { NotableRows, SeedSummary } from './seed';

export interface ScenarioStep {
  /** What the scheduler does, e.g. "booking.created". */
  event: string;
  /** What happens, with the ids involved. */
  description: string;
  /** The outcome the shipped policies should reach. */
  expected: string;
}

export interface ScenarioResult {
  played: boolean;
  /** Why nothing was played. */
  reason?: string;
  steps: ScenarioStep[];
}

const hhmm = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
const span = (w: { startsAt: string; endsAt: string }) => `${hhmm(w.startsAt)}-${hhmm(w.endsAt)}`;
const who = (u: { username: string; id: number; role: string | null }) =>
  `${u.username} (user ${u.id}, ${u.role ?? 'no role'})`;
const dev = (d: { polatisName: string | null; id: number }) =>
  `${d.polatisName ?? 'device'} (device ${d.id})`;

/** The stream, in the order it is played, from the seeded lab's notable rows. */
export function scenarioSteps(n: NotableRows): ScenarioStep[] {
  return [
    ...n.normal.map((b) => ({
      event: 'booking.created',
      description: `${who(b.user)} books ${dev(b.device)} ${span(b.request)}`,
      expected: 'allow',
    })),
    {
      event: 'booking.created',
      description: `${who(n.conflict.challenger)} books ${dev(n.conflict.device)} ${span(n.conflict.request)}, overlapping booking ${n.conflict.held.bookingIds.join(', ')} of ${who(n.conflict.holder)}`,
      expected: 'deny (conflict), with the next free window',
    },
    {
      event: 'booking.created',
      description: `${who(n.overLimit.user)} books ${dev(n.overLimit.device)} for ${n.overLimit.hours} h (${span(n.overLimit.request)})`,
      expected: 'require approval by a Researcher (beyond a student\u2019s 8 h)',
    },
    {
      event: 'booking.created',
      description: `${who(n.denied.user)} books ${dev(n.denied.device)} for ${n.denied.hours} h`,
      expected: 'deny (longer than the lab\u2019s 72 h maximum)',
    },
    {
      event: 'booking.created',
      description: `${who(n.ownedDevice.requester)} books ${dev(n.ownedDevice.device)}, owned by ${who(n.ownedDevice.owner)} (${span(n.ownedDevice.request)})`,
      expected: 'require the owner\u2019s approval',
    },
    {
      event: 'booking.created',
      description: `${who(n.nearLimit.user)}, holding ${n.nearLimit.activeFutureBookings} of ${n.nearLimit.maxActiveBookings} active bookings, books twice more`,
      expected: 'allow, then deny (active-booking limit)',
    },
    {
      event: 'device.maintenance_changed',
      description: `${dev(n.maintenance.device)} goes into maintenance ${span(n.maintenance.window)}`,
      expected: `booking ${n.maintenance.affected.bookingIds.join(', ')} re-evaluated: deny (maintenance)`,
    },
    {
      event: 'topology.submitted',
      description: `topologies ${n.topologies.conflicting} and ${n.topologies.clean} submitted`,
      expected: 'conflicts (booking overlap, port out of range); approved',
    },
    {
      event: 'topology.updated',
      description: `topology ${n.topologies.invalid} (imported by an old tool, nodes as JSON text) saved again`,
      expected: 'invalid (an edge to a missing node)',
    },
  ];
}

/** Dependencies the player will need; filled in when the runtime and rules are part of the build. */
export type ScenarioDeps = Record<string, never>;

/**
 * Plays the stream through the queues and waits for every decision and review to be written.
 * Not available in this build (see the module comment): returns `played: false` and the steps.
 */
export async function playScenario(_deps: ScenarioDeps, summary: SeedSummary): Promise<ScenarioResult> {
  return {
    played: false,
    reason: 'the queue runtime and the rule engine are not part of this build yet',
    steps: scenarioSteps(summary.notable),
  };
}
