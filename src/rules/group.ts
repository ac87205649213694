/**
 * Deciding a grouped booking (one reservation of several devices) as a whole: each device is
 * evaluated with its own facts against the same snapshot (so the whole reservation is decided by
 * one revision, even if the rules are reloaded meanwhile), and the outcomes combine the same way
 * rules do: any deny denies the reservation, else any approval needed makes it need approval.
 *
 * A rule about the reservation rather than the device (say, the approval threshold) fires for
 * every device with the same message; such reasons are merged into one, listing the devices.
 */
import {
  combineOutcome,
  type Decision,
  type EvaluateOptions,
  evaluate,
  type Outcome,
  type Reason,
} from './evaluate';
import type { BookingFacts } from './facts/catalog';
import type { RuleSetSnapshot } from './snapshot';

export interface DeviceDecision {
  readonly deviceId: number;
  readonly bookingId: number | null;
  readonly decision: Decision;
}

export interface GroupDecision {
  readonly groupedBookingId: string;
  readonly outcome: Outcome;
  readonly revision: string;
  /** Fired rules across devices, merged when policy, rule, message and approver agree. */
  readonly reasons: readonly Reason[];
  readonly devices: readonly DeviceDecision[];
}

export async function evaluateGroup(
  snapshot: RuleSetSnapshot,
  factsPerDevice: readonly BookingFacts[],
  options: EvaluateOptions = {},
): Promise<GroupDecision> {
  const first = factsPerDevice[0];
  if (!first) throw new Error('evaluateGroup: a grouped booking needs the facts of at least one device');
  const groupId = first.groupedBooking.id;
  for (const facts of factsPerDevice) {
    if (facts.groupedBooking.id !== groupId) {
      throw new Error(
        `evaluateGroup: facts of reservation ${JSON.stringify(facts.groupedBooking.id)} mixed into ${JSON.stringify(groupId)}`,
      );
    }
  }
  const devices: DeviceDecision[] = [];
  for (const facts of factsPerDevice) {
    devices.push({
      deviceId: facts.booking.deviceId,
      bookingId: facts.booking.id,
      decision: await evaluate(snapshot, 'booking', facts, options),
    });
  }
  const merged = new Map<string, { reason: Reason; deviceIds: number[] }>();
  for (const { deviceId, decision } of devices) {
    for (const reason of decision.reasons) {
      const key = JSON.stringify([reason.policy, reason.rule, reason.message, reason.approver ?? null]);
      const entry = merged.get(key);
      if (entry) {
        if (!entry.deviceIds.includes(deviceId)) entry.deviceIds.push(deviceId);
      } else {
        merged.set(key, { reason, deviceIds: [deviceId] });
      }
    }
  }
  const severity = { deny: 0, require_approval: 1, flag: 2 } as const;
  const reasons = [...merged.values()]
    .map(({ reason, deviceIds }) => ({ ...reason, deviceIds }))
    .sort((a, b) => severity[a.type] - severity[b.type]);
  return {
    groupedBookingId: groupId,
    outcome: combineOutcome(devices.map((d) => d.decision.outcome)),
    revision: snapshot.revision,
    reasons,
    devices,
  };
}
