/**
 * The demo's event stream: what the scheduler would do in a morning at the lab, played through
 * Redis to the workers started in the demo's process, using the rows the seed set aside
 * (`SeedSummary.notable`).
 *
 * Each step does what the scheduler does: writes its rows (a new booking as `pending`, a device's
 * maintenance window) and enqueues the event with the real producer. Steps are played one after
 * the other and each waits until its jobs, and the follow-ups they enqueue, are processed: the
 * stream is then the same on every run (a request sees the decisions of the requests before it).
 * Nothing is simulated: what the summary shows is what the workers wrote.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { type JobName, QUEUE_NAMES } from '../contracts';
import type { EnqueuedJob, Producer } from '../queues/producer';
import { json } from './context';
import type { NotableRows, SeedSummary, WindowRef } from './seed';

export interface ScenarioStep {
  /** What the scheduler does, e.g. "booking.created". */
  event: string;
  /** What happens, with the ids involved. */
  description: string;
  /** The outcome the shipped policies should reach. */
  expected: string;
}

/** A step as played: the rows it wrote and the jobs it enqueued. */
export interface PlayedStep extends ScenarioStep {
  /** booking_table rows the step inserted (one per request). */
  bookingIds: number[];
  /** Bookings whose decision the step is about (the new ones, or those a change affects). */
  decisionBookingIds: number[];
  topologyIds: number[];
  jobs: Array<EnqueuedJob & { state: string }>;
  elapsedMs: number;
}

export interface ScenarioResult {
  played: boolean;
  /** Why nothing was played. */
  reason?: string;
  steps: ScenarioStep[];
  playedSteps: PlayedStep[];
}

const hhmm = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
const span = (w: { startsAt: string; endsAt: string }) => `${hhmm(w.startsAt)}-${hhmm(w.endsAt)}`;
const who = (u: { username: string; id: number; role: string | null }) =>
  `${u.username} (user ${u.id}, ${u.role ?? 'no role'})`;
const dev = (d: { polatisName: string | null; id: number }) =>
  `${d.polatisName ?? 'device'} (device ${d.id})`;

/** What a step does to the lab, given the scheduler's side of the work. */
type Action =
  | { kind: 'book'; requests: Array<{ userId: number; deviceId: number; window: WindowRef }> }
  | { kind: 'maintenance'; deviceId: number; window: WindowRef; affectedBookingIds: number[] }
  | { kind: 'topology'; job: 'topology.submitted' | 'topology.updated'; topologyIds: number[] };

interface PlannedStep extends ScenarioStep {
  action: Action;
}

function plan(n: NotableRows): PlannedStep[] {
  const book = (userId: number, deviceId: number, window: WindowRef) => ({ userId, deviceId, window });
  return [
    ...n.normal.map(
      (b): PlannedStep => ({
        event: 'booking.created',
        description: `${who(b.user)} books ${dev(b.device)} ${span(b.request)}`,
        expected: 'allow',
        action: { kind: 'book', requests: [book(b.user.id, b.device.id, b.request)] },
      }),
    ),
    {
      event: 'booking.created',
      description: `${who(n.conflict.challenger)} books ${dev(n.conflict.device)} ${span(n.conflict.request)}, overlapping booking ${n.conflict.held.bookingIds.join(', ')} of ${who(n.conflict.holder)}`,
      expected: 'deny (conflict), with the next free window',
      action: {
        kind: 'book',
        requests: [book(n.conflict.challenger.id, n.conflict.device.id, n.conflict.request)],
      },
    },
    {
      event: 'booking.created',
      description: `${who(n.ownedDevice.requester)} books ${dev(n.ownedDevice.device)}, owned by ${who(n.ownedDevice.owner)} (${span(n.ownedDevice.request)})`,
      expected: 'require the owner\u2019s approval',
      action: {
        kind: 'book',
        requests: [book(n.ownedDevice.requester.id, n.ownedDevice.device.id, n.ownedDevice.request)],
      },
    },
    {
      event: 'booking.created',
      description: `${who(n.overLimit.user)} books ${dev(n.overLimit.device)} for ${n.overLimit.hours} h (${span(n.overLimit.request)})`,
      expected: 'require approval by a Researcher (beyond a student\u2019s 8 h)',
      action: {
        kind: 'book',
        requests: [book(n.overLimit.user.id, n.overLimit.device.id, n.overLimit.request)],
      },
    },
    {
      event: 'booking.created',
      description: `${who(n.denied.user)} books ${dev(n.denied.device)} for ${n.denied.hours} h`,
      expected: 'deny (longer than the lab\u2019s 72 h maximum)',
      action: { kind: 'book', requests: [book(n.denied.user.id, n.denied.device.id, n.denied.request)] },
    },
    ...n.nearLimit.requests.map(
      (request, i): PlannedStep => ({
        event: 'booking.created',
        description: `${who(n.nearLimit.user)}, holding ${n.nearLimit.activeFutureBookings + i} of ${n.nearLimit.maxActiveBookings} active bookings, books ${dev(n.nearLimit.device)} ${span(request)}`,
        expected: i === 0 ? 'allow' : 'deny (active-booking limit)',
        action: { kind: 'book', requests: [book(n.nearLimit.user.id, n.nearLimit.device.id, request)] },
      }),
    ),
    {
      event: 'device.maintenance_changed',
      description: `${dev(n.maintenance.device)} goes into maintenance ${span(n.maintenance.window)}`,
      expected: `booking ${n.maintenance.affected.bookingIds.join(', ')} re-evaluated: deny (maintenance)`,
      action: {
        kind: 'maintenance',
        deviceId: n.maintenance.device.id,
        window: n.maintenance.window,
        affectedBookingIds: n.maintenance.affected.bookingIds,
      },
    },
    {
      event: 'topology.submitted',
      description: `topologies ${n.topologies.conflicting} and ${n.topologies.clean} submitted`,
      expected: 'conflicts (booking overlap, port out of range); approved',
      action: {
        kind: 'topology',
        job: 'topology.submitted',
        topologyIds: [n.topologies.conflicting, n.topologies.clean],
      },
    },
    {
      event: 'topology.updated',
      description: `topology ${n.topologies.invalid} (imported by an old tool, nodes as JSON text) saved again`,
      expected: 'invalid (an edge to a missing node)',
      action: { kind: 'topology', job: 'topology.updated', topologyIds: [n.topologies.invalid] },
    },
  ];
}

/**
 * The stream, in the order it is played, from the seeded lab's notable rows. The owned device's
 * requester is the over-limit one: asking for the owned device first keeps that 3 h request
 * within the student's weekly hours, so the owner's approval is what it needs.
 */
export function scenarioSteps(n: NotableRows): ScenarioStep[] {
  return plan(n).map(({ action: _action, ...step }) => step);
}

export interface ScenarioDeps {
  /** The demo's own database (the one the workers use). */
  knex: Knex;
  /** The producer on the demo's queue prefix. */
  producer: Producer;
  /** Longest wait for one step's jobs (and their follow-ups) to be processed. */
  stepTimeoutMs?: number;
  /** Called before a step is played and after it was processed. */
  onStep?: (event: {
    index: number;
    total: number;
    step: PlayedStep | PlannedStep;
    done: boolean;
  }) => void | Promise<void>;
}

export class ScenarioTimeoutError extends Error {
  override readonly name = 'ScenarioTimeoutError';
}

/** `YYYY-MM-DD HH:MM:SS`, the way the legacy backend writes maintenance windows. */
const legacyTime = (iso: string) => iso.slice(0, 19).replace('T', ' ');

async function insertRequest(
  knex: Knex,
  r: { userId: number; deviceId: number; window: WindowRef },
): Promise<number> {
  const [row] = await knex('booking_table')
    .insert({
      device_id: r.deviceId,
      user_id: r.userId,
      is_collaborator: false,
      grouped_booking_id: randomUUID(),
      start_time: new Date(r.window.startsAt),
      end_time: new Date(r.window.endsAt),
      status: 'pending',
      comment: 'requested during the demo',
      collaborators: json([]),
      created_at: new Date(),
    })
    .returning('booking_id');
  return Number((row as { booking_id: number }).booking_id);
}

/**
 * Jobs waiting, running or waiting for a retry, over every queue of the prefix. The next run of a
 * periodic job (a job scheduler's delayed job, e.g. the rollups' reconciliation) is not counted:
 * there is always one.
 */
export async function unfinishedJobs(producer: Producer): Promise<number> {
  let total = 0;
  for (const name of QUEUE_NAMES) {
    const queue = producer.queue(name);
    const c = await queue.getJobCounts('wait', 'prioritized', 'waiting-children', 'active', 'delayed');
    total += (c.wait ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0) + (c.active ?? 0);
    if ((c.delayed ?? 0) > 0) {
      const delayed = await queue.getDelayed(0, -1);
      total += delayed.filter((job) => job && !job.repeatJobKey).length;
    }
  }
  return total;
}

/**
 * Waits until the given jobs are completed or failed and nothing else (follow-ups) is left
 * on any queue, seen twice in a row (a follow-up is enqueued right after its parent commits).
 */
async function settle(producer: Producer, jobs: EnqueuedJob[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let idleSeen = 0;
  for (;;) {
    const states = await Promise.all(jobs.map((j) => producer.queue(j.queue).getJobState(j.jobId)));
    const finished = states.every((s) => s === 'completed' || s === 'failed');
    if (finished && (await unfinishedJobs(producer)) === 0) {
      idleSeen += 1;
      if (idleSeen >= 2) return states;
    } else {
      idleSeen = 0;
    }
    if (Date.now() > deadline) {
      const pending = jobs.filter((_, i) => states[i] !== 'completed' && states[i] !== 'failed');
      throw new ScenarioTimeoutError(
        `the workers did not finish within ${timeoutMs} ms (${pending.map((j) => `${j.name} ${j.jobId}: ${states[jobs.indexOf(j)]}`).join(', ') || 'follow-up jobs still queued'})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function playStep(
  deps: ScenarioDeps,
  step: PlannedStep,
): Promise<Omit<PlayedStep, keyof ScenarioStep | 'elapsedMs'>> {
  const { knex, producer } = deps;
  const a = step.action;
  const jobs: EnqueuedJob[] = [];
  const enqueue = async (name: JobName, payload: Record<string, unknown>) => {
    // biome-ignore lint/suspicious/noExplicitAny: the payload is built per job name above
    jobs.push(await producer.enqueue(name, payload as any));
  };
  let bookingIds: number[] = [];
  let decisionBookingIds: number[] = [];
  let topologyIds: number[] = [];
  if (a.kind === 'book') {
    for (const r of a.requests) bookingIds.push(await insertRequest(knex, r));
    for (const bookingId of bookingIds) await enqueue('booking.created', { bookingId });
    decisionBookingIds = bookingIds;
  } else if (a.kind === 'maintenance') {
    const before = (await knex('device_table')
      .where({ id: a.deviceId })
      .first('maintenance_starts_at', 'maintenance_ends_at')) as
      | { maintenance_starts_at: Date | null; maintenance_ends_at: Date | null }
      | undefined;
    if (!before) throw new Error(`device_table row ${a.deviceId} not found`);
    await knex('device_table')
      .where({ id: a.deviceId })
      .update({
        maintenance_start: legacyTime(a.window.startsAt),
        maintenance_end: legacyTime(a.window.endsAt),
      });
    await enqueue('device.maintenance_changed', {
      deviceId: a.deviceId,
      previous: {
        startsAt: before.maintenance_starts_at?.toISOString() ?? null,
        endsAt: before.maintenance_ends_at?.toISOString() ?? null,
      },
    });
    decisionBookingIds = a.affectedBookingIds;
  } else {
    topologyIds = a.topologyIds;
    for (const topologyId of a.topologyIds) await enqueue(a.job, { topologyId });
  }
  const states = await settle(producer, jobs, deps.stepTimeoutMs ?? 60_000);
  bookingIds = [...bookingIds];
  return {
    bookingIds,
    decisionBookingIds,
    topologyIds,
    jobs: jobs.map((j, i) => ({ ...j, state: states[i] ?? 'unknown' })),
  };
}

/**
 * Plays the stream through the queues (the workers must be running on the producer's prefix
 * and the same database) and waits, step by step, until every job is processed.
 */
export async function playScenario(deps: ScenarioDeps, summary: SeedSummary): Promise<ScenarioResult> {
  const planned = plan(summary.notable);
  const playedSteps: PlayedStep[] = [];
  for (const [index, step] of planned.entries()) {
    await deps.onStep?.({ index, total: planned.length, step, done: false });
    const started = performance.now();
    const result = await playStep(deps, step);
    const { action: _action, ...rest } = step;
    const played: PlayedStep = { ...rest, ...result, elapsedMs: performance.now() - started };
    playedSteps.push(played);
    await deps.onStep?.({ index, total: planned.length, step: played, done: true });
  }
  return { played: true, steps: scenarioSteps(summary.notable), playedSteps };
}
