/**
 * Facts the rules read, set-based for many devices at once:
 * - recent utilization of a device over the last 7 and 30 days, from the rollups (booked over
 *   capacity; null when the device had no capacity), with the coverage of the window so a rule
 *   can tell "idle" from "never computed";
 * - a user's share of a device's coming week, from the bookings themselves (see users.ts): the
 *   future changes with every booking, so it is read live rather than from rollups. The hoarding
 *   rule ("a user holding more than a share of a busy device's coming week") compares
 *   `share_of_capacity` (the user's booked seconds over the week's capacity) with its threshold
 *   on devices whose `device_utilization` (all users' booked over capacity) is above its own.
 */
import type { Knex } from 'knex';
import { floorTo } from './buckets';
import { utilization } from './model';
import { COVERING_ROWS_SQL, planBindings, planRange } from './query';
import { type UserDeviceShare, userShares } from './users';

export interface WindowUtilization {
  booked_seconds: number;
  capacity_seconds: number;
  utilization: number | null;
  /** Fraction of the window's buckets that have been computed (0..1). */
  coverage: number;
}

export interface DeviceUtilizationFacts {
  device_id: number;
  last7d: WindowUtilization;
  last30d: WindowUtilization;
}

const DAY_MS = 86_400_000;

const WINDOW_SQL = `SELECT ?::int AS w, d.id AS device_id, coalesce(sum(c.booked_seconds), 0)::bigint AS booked,
            coalesce(sum(c.capacity_seconds), 0)::bigint AS capacity, coalesce(sum(c.len), 0)::bigint AS covered
       FROM unnest(?::int[]) AS d(id)
       LEFT JOIN (${COVERING_ROWS_SQL}) c ON c.device_id = d.id
      GROUP BY d.id`;

/** Per window (in the order given) and device, the utilization; one statement for all windows. */
async function windowsUtilization(
  db: Knex,
  deviceIds: readonly number[],
  windows: ReadonlyArray<{ from: Date; to: Date }>,
): Promise<Array<Map<number, WindowUtilization>>> {
  const plans = windows.map((w) => planRange(w.from, w.to));
  const { rows } = await db.raw<{
    rows: Array<{ w: number; device_id: number; booked: number; capacity: number; covered: number }>;
  }>(
    plans.map(() => `(${WINDOW_SQL})`).join(' UNION ALL '),
    plans.flatMap((plan, i) => [i, [...deviceIds], ...planBindings(plan)]),
  );
  const result = plans.map(() => new Map<number, WindowUtilization>());
  for (const r of rows) {
    const plan = plans[r.w]!;
    const seconds = (plan.to.getTime() - plan.from.getTime()) / 1000;
    result[r.w]!.set(r.device_id, {
      booked_seconds: r.booked,
      capacity_seconds: r.capacity,
      utilization: utilization(r.booked, r.capacity),
      coverage: r.covered / seconds,
    });
  }
  return result;
}

/**
 * Utilization of each device over the 7 and 30 days before as-of (whole hours: the window ends
 * at the start of as-of's hour).
 */
export async function deviceUtilizationFacts(
  db: Knex,
  deviceIds: readonly number[],
  asOf: Date = new Date(),
): Promise<DeviceUtilizationFacts[]> {
  const ids = [...new Set(deviceIds)];
  if (ids.length === 0) return [];
  const end = floorTo('hour', asOf);
  const [week, month] = (await windowsUtilization(db, ids, [
    { from: new Date(end.getTime() - 7 * DAY_MS), to: end },
    { from: new Date(end.getTime() - 30 * DAY_MS), to: end },
  ])) as [Map<number, WindowUtilization>, Map<number, WindowUtilization>];
  return ids.map((id) => ({ device_id: id, last7d: week.get(id)!, last30d: month.get(id)! }));
}

export interface ComingWeekShare extends UserDeviceShare {
  /** All users' booked seconds over the week's capacity. */
  device_utilization: number | null;
}

/**
 * Per device and user, the user's share of the device's coming week [as-of, as-of + 7 days),
 * counting the bookings in `assumeBookedIds` (the booking being decided) as booked.
 */
export async function comingWeekShares(
  db: Knex,
  options: {
    deviceIds: readonly number[];
    asOf?: Date;
    userIds?: readonly number[];
    /** See UserShareQuery.reportUserIds. */
    reportUserIds?: readonly number[];
    assumeBookedIds?: readonly number[];
    /** Statuses counted as booked (default: the rollup model's). */
    bookedStatuses?: readonly string[];
  },
): Promise<ComingWeekShare[]> {
  if (options.deviceIds.length === 0) return [];
  const asOf = options.asOf ?? new Date();
  const shares = await userShares(db, {
    deviceIds: options.deviceIds,
    userIds: options.userIds,
    reportUserIds: options.reportUserIds,
    from: asOf,
    to: new Date(asOf.getTime() + 7 * DAY_MS),
    asOf,
    assumeBookedIds: options.assumeBookedIds,
    bookedStatuses: options.bookedStatuses,
  });
  return shares.map((s) => ({
    ...s,
    device_utilization: utilization(s.device_booked_seconds, s.capacity_seconds),
  }));
}
