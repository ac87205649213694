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
  SEVERITY,
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
  const reasons = mergeReasons(
    devices.map(({ deviceId, decision }) => ({ deviceId, reasons: decision.reasons })),
  );
  return {
    groupedBookingId: groupId,
    outcome: combineOutcome(devices.map((d) => d.decision.outcome)),
    revision: snapshot.revision,
    reasons,
    devices,
  };
}

export interface DeviceReasons {
  readonly deviceId: number;
  readonly reasons: readonly Reason[];
}

/**
 * The per-device reasons of one reservation as one list: a reason that fires for several devices
 * with the same policy, rule, message and approver appears once, listing the devices; deny
 * first, then require_approval, then flag.
 */
export function mergeReasons(devices: readonly DeviceReasons[]): Reason[] {
  const merged = new Map<string, { reason: Reason; deviceIds: number[] }>();
  for (const { deviceId, reasons } of devices) {
    for (const reason of reasons) {
      const key = JSON.stringify([reason.policy, reason.rule, reason.message, reason.approver ?? null]);
      const entry = merged.get(key);
      if (entry) {
        if (!entry.deviceIds.includes(deviceId)) entry.deviceIds.push(deviceId);
      } else {
        merged.set(key, { reason, deviceIds: [deviceId] });
      }
    }
  }
  return [...merged.values()]
    .map(({ reason, deviceIds }) => ({ ...reason, deviceIds }))
    .sort((a, b) => SEVERITY[a.type] - SEVERITY[b.type]);
}
