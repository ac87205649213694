/**
 * Booked time per user. Rollups are per device, so per-user figures are computed from the
 * bookings themselves, with the same model (sql/sources.ts): a user's booked seconds on a device
 * are the union of that user's counting bookings of the device within the range, minus the
 * device's maintenance and down time. A user's own overlapping rows never count twice; two users
 * whose legacy bookings overlap each get the shared time, so users of one device can add up to
 * more than the device's booked seconds (only possible for legacy overlaps, which the alignment
 * constraint prevents from now on). Collaborator rows are not counted: the time belongs to the
 * reservation's owner.
 */
import type { Knex } from 'knex';
import { MODEL, utilization } from './model';
import { PARAMS_CTE, paramsBindings, SOURCES_CTES } from './sql/sources';

export interface UserShareQuery {
  /** Scheduler devices to consider (default: all). */
  deviceIds?: readonly number[];
  /** Only these users (default: all). */
  userIds?: readonly number[];
  from: Date;
  /** Exclusive. */
  to: Date;
  /** Bounds what is known about device health (default: now). */
  asOf?: Date;
  /**
   * Bookings to count as booked whatever their status: at decision time, the pending booking
   * being decided (so a rule sees the share the user would hold if it were confirmed).
   */
  assumeBookedIds?: readonly number[];
  /**
   * Canonical statuses whose rows count as booked (default: the rollup model's, confirmed and
   * completed). The rule facts about the coming week also count pending bookings.
   */
  bookedStatuses?: readonly string[];
  /**
   * Return only these users' rows, and each device's lowest user id's row (its device-wide
   * figures: every row of a device carries the same), instead of every user's. Every user still
   * counts towards the device's figures; what a device has rows for does not change. For callers
   * that need the shares of a few users only (a decision's requesters), not of the device's
   * every user.
   */
  reportUserIds?: readonly number[];
}

export interface UserDeviceShare {
  device_id: number;
  user_id: number;
  /** The user's booked seconds on the device within the range. */
  user_booked_seconds: number;
  /** The device's booked seconds (all users) within the range. */
  device_booked_seconds: number;
  /** Range length minus the device's maintenance. */
  capacity_seconds: number;
  booking_count: number;
  /** user / device booked seconds; null when the device has none. */
  share_of_booked: number | null;
  /** user booked seconds / capacity; null when there is no capacity. */
  share_of_capacity: number | null;
}

const SECONDS = (mr: string) =>
  `(SELECT coalesce(sum(extract(epoch FROM upper(x) - lower(x))), 0) FROM unnest(${mr}) AS x)::bigint`;

const SHARES_SQL = `
WITH ${PARAMS_CTE},
spans AS (
  SELECT d.id AS device_id,
         tsmultirange(tsrange(?::timestamptz AT TIME ZONE 'UTC', ?::timestamptz AT TIME ZONE 'UTC')) AS mr
    FROM device_table d
   WHERE ?::int[] IS NULL OR d.id = ANY (?::int[])
),
span_parts AS (SELECT s.device_id, lower(r) AS lo, upper(r) AS hi FROM spans s, unnest(s.mr) AS r),
${SOURCES_CTES},
per_user AS (
  SELECT b.device_id, b.user_id, count(*) AS bookings, range_agg(tsrange(b.bs, b.be)) AS mr
    FROM q_bookings b
   WHERE ?::int[] IS NULL OR b.user_id = ANY (?::int[])
   GROUP BY b.device_id, b.user_id
)
SELECT device_id, user_id, user_booked_seconds, device_booked_seconds, capacity_seconds, booking_count
  FROM (
    SELECT c.device_id, u.user_id,
           ${SECONDS('(u.mr * s.mr) - c.maintenance - c.down')} AS user_booked_seconds,
           ${SECONDS('c.booked')} AS device_booked_seconds,
           ${SECONDS('s.mr')} - ${SECONDS('c.maintenance')} AS capacity_seconds,
           u.bookings::int AS booking_count,
           row_number() OVER (PARTITION BY c.device_id ORDER BY u.user_id) AS nth
      FROM cats c
      JOIN spans s ON s.device_id = c.device_id
      JOIN per_user u ON u.device_id = c.device_id
  ) x
 WHERE ?::int[] IS NULL OR x.nth = 1 OR x.user_id = ANY (?::int[])
 ORDER BY device_id, user_id`;

/**
 * Per device and user: the user's booked seconds, the device's, and the device's capacity over
 * [from, to). Devices nobody booked in the range have no rows. One statement for any number of
 * devices (and, with `reportUserIds`, a few rows per device whatever the number of its users).
 */
export async function userShares(db: Knex, query: UserShareQuery): Promise<UserDeviceShare[]> {
  if (Number.isNaN(query.from.getTime()) || Number.isNaN(query.to.getTime()) || query.to <= query.from) {
    throw new Error(
      `user share range must be two dates, end after start: ${String(query.from)} .. ${String(query.to)}`,
    );
  }
  const devices = query.deviceIds ? [...query.deviceIds] : null;
  const users = query.userIds ? [...query.userIds] : null;
  const reported = query.reportUserIds ? [...query.reportUserIds] : null;
  const { rows } = await db.raw<{
    rows: Array<Omit<UserDeviceShare, 'share_of_booked' | 'share_of_capacity'>>;
  }>(SHARES_SQL, [
    ...paramsBindings({
      ...MODEL,
      asOf: query.asOf ?? new Date(),
      extraBookingIds: query.assumeBookedIds,
      bookedStatuses: query.bookedStatuses ?? MODEL.bookedStatuses,
    }),
    query.from.toISOString(),
    query.to.toISOString(),
    devices,
    devices,
    users,
    users,
    reported,
    reported,
  ]);
  return rows.map((r) => ({
    ...r,
    share_of_booked: r.device_booked_seconds > 0 ? r.user_booked_seconds / r.device_booked_seconds : null,
    share_of_capacity: utilization(r.user_booked_seconds, r.capacity_seconds),
  }));
}

export interface UserUtilization {
  user_id: number;
  username: string | null;
  devices: number;
  booking_count: number;
  booked_seconds: number;
}

/** The "by user" dimension: each user's booked seconds over [from, to), summed over devices. */
export async function utilizationByUser(db: Knex, query: UserShareQuery): Promise<UserUtilization[]> {
  const shares = await userShares(db, query);
  const byUser = new Map<number, UserUtilization>();
  for (const s of shares) {
    const u = byUser.get(s.user_id) ?? {
      user_id: s.user_id,
      username: null,
      devices: 0,
      booking_count: 0,
      booked_seconds: 0,
    };
    u.devices += 1;
    u.booking_count += s.booking_count;
    u.booked_seconds += s.user_booked_seconds;
    byUser.set(s.user_id, u);
  }
  if (byUser.size > 0) {
    const names = await db('user_table')
      .select<Array<{ id: number; username: string }>>('id', 'username')
      .whereIn('id', [...byUser.keys()]);
    for (const n of names) byUser.get(n.id)!.username = n.username;
  }
  return [...byUser.values()].sort((a, b) => b.booked_seconds - a.booked_seconds || a.user_id - b.user_id);
}
