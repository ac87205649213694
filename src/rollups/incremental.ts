/**
 * Incremental rollups: recompute only the hour and day buckets that an event's old and new
 * windows touch, in the caller's transaction (the event handler's, which also writes the event's
 * `processed_events` row), so the rollups and the event's bookkeeping commit together.
 *
 * Handlers read current state (payloads carry ids), which makes a late, repeated or reordered
 * event harmless: recomputing a bucket from current rows gives the same result however often,
 * and in whatever order, it is done.
 */
import type { Knex } from 'knex';
import { windowTargets } from './buckets';
import { type ComputeOptions, type ComputeResult, computeTargets } from './compute';
import { type DeviceWindow, GRANULARITIES, type Granularity, MODEL } from './model';

export interface RecomputeOptions extends ComputeOptions {
  /** Which granularities to recompute (default both). */
  granularities?: readonly Granularity[];
}

/** Recomputes every hour and day bucket the windows touch, in db's transaction (or a new one). */
export function recomputeForWindows(
  db: Knex,
  windows: readonly DeviceWindow[],
  options: RecomputeOptions = {},
): Promise<ComputeResult> {
  return computeTargets(db, windowTargets(windows, options.granularities ?? GRANULARITIES), options);
}

/** Where a booking was before a change (the `previous` of `booking.updated` / `booking.cancelled`). */
export interface PreviousBookingWindow {
  deviceId: number;
  startTime: Date | string;
  endTime: Date | string;
}

function toDate(value: Date | string, field: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`${field} is not a date: ${JSON.stringify(value)}`);
  return date;
}

/**
 * The windows of a booking event: the booking's current window (if the row still exists) and,
 * when given, the window it had before. The row is read whatever its status: a cancelled or
 * collaborator row counts nothing, and recomputing its buckets is what removes it.
 */
export async function bookingEventWindows(
  db: Knex,
  bookingId: number,
  previous?: PreviousBookingWindow | null,
): Promise<DeviceWindow[]> {
  const windows: DeviceWindow[] = [];
  const current = (await bookingWindows(db, [bookingId])).get(bookingId);
  if (current) windows.push(current);
  if (previous) windows.push(previousWindow(previous));
  return windows;
}

/** A booking event's `previous` as a window. */
export function previousWindow(previous: PreviousBookingWindow): DeviceWindow {
  return {
    deviceId: previous.deviceId,
    start: toDate(previous.startTime, 'previous.startTime'),
    end: toDate(previous.endTime, 'previous.endTime'),
  };
}

/** The current windows of booking rows, in one read, by booking id (ids without a row are absent). */
export async function bookingWindows(
  db: Knex,
  bookingIds: readonly number[],
): Promise<Map<number, DeviceWindow>> {
  if (bookingIds.length === 0) return new Map();
  const rows = (await db('booking_table')
    .whereIn('booking_id', [...new Set(bookingIds)])
    .select('booking_id', 'device_id', 'start_time', 'end_time')) as Array<{
    booking_id: number;
    device_id: number;
    start_time: Date;
    end_time: Date;
  }>;
  return new Map(
    rows.map((r) => [r.booking_id, { deviceId: r.device_id, start: r.start_time, end: r.end_time }]),
  );
}

/** For a `booking.created|updated|cancelled` handler: recompute what the booking touches. */
export async function recomputeForBookingEvent(
  trx: Knex.Transaction,
  bookingId: number,
  previous?: PreviousBookingWindow | null,
  options: RecomputeOptions = {},
): Promise<ComputeResult> {
  return recomputeForWindows(trx, await bookingEventWindows(trx, bookingId, previous), options);
}

/** A window the device had before the event, e.g. its old maintenance window (end null: open). */
export interface PreviousDeviceWindow {
  start: Date | string;
  end: Date | string | null;
}

/** Seconds of clock difference tolerated between the scheduler's host and the database. */
const CLOCK_SLACK_SECONDS = 300;

/**
 * The windows of a device event (`device.status_changed`, `device.maintenance_changed`,
 * `device.heartbeat`, ...), read from the current rows:
 * - the device's typed maintenance window (an open one up to as-of);
 * - maintenance records of its inventory device written since `since`, with their intervals;
 * - health: from the earliest observation among snapshots written since `since`, up to as-of
 *   (a new status changes the timeline from its observation time onwards);
 * - `previous`: windows the event says the device had before (e.g. the old maintenance window).
 */
export async function deviceEventWindows(
  db: Knex,
  deviceId: number,
  since: Date,
  options: { asOf?: Date; previous?: readonly PreviousDeviceWindow[] } = {},
): Promise<DeviceWindow[]> {
  const asOf = options.asOf ?? new Date();
  const { rows } = await db.raw<{ rows: Array<{ s: Date; e: Date }> }>(
    `WITH p AS (SELECT (?::timestamptz AT TIME ZONE 'UTC') AS asof,
                       (?::timestamptz AT TIME ZONE 'UTC') - make_interval(secs => ?::int) AS since,
                       make_interval(secs => ?::int) AS record_default)
     SELECT (w.s AT TIME ZONE 'UTC') AS s, (w.e AT TIME ZONE 'UTC') AS e FROM (
       SELECT d.maintenance_starts_at AT TIME ZONE 'UTC' AS s,
              coalesce(d.maintenance_ends_at AT TIME ZONE 'UTC', p.asof) AS e
         FROM device_table d, p
        WHERE d.id = ? AND d.maintenance_starts_at IS NOT NULL
       UNION ALL
       SELECT least(m.scheduled_date, m.performed_date),
              greatest(m.performed_date, least(m.scheduled_date, m.performed_date) + p.record_default)
         FROM device_table d JOIN maintenance_records m ON m.device_id = d.inventory_device_id, p
        WHERE d.id = ? AND m.updated_at >= p.since
          AND coalesce(m.scheduled_date, m.performed_date) IS NOT NULL
       UNION ALL
       SELECT min(coalesce(h.heartbeat_at, h.updated_at)), max(p.asof)
         FROM device_health_snapshot h, p
        WHERE h.device_id = ? AND h.updated_at >= p.since
       HAVING count(*) > 0
     ) w`,
    [
      asOf.toISOString(),
      since.toISOString(),
      CLOCK_SLACK_SECONDS,
      MODEL.recordDefaultSeconds,
      deviceId,
      deviceId,
      deviceId,
    ],
  );
  const windows: DeviceWindow[] = rows.map((r) => ({ deviceId, start: r.s, end: r.e }));
  for (const [i, w] of (options.previous ?? []).entries()) {
    windows.push({
      deviceId,
      start: toDate(w.start, `previous[${i}].start`),
      end: w.end === null ? asOf : toDate(w.end, `previous[${i}].end`),
    });
  }
  return windows;
}

/** For a `device.*` handler: recompute what the device's change touches. */
export async function recomputeForDeviceEvent(
  trx: Knex.Transaction,
  deviceId: number,
  since: Date,
  options: RecomputeOptions & { previous?: readonly PreviousDeviceWindow[] } = {},
): Promise<ComputeResult> {
  const asOf = options.asOf ?? new Date();
  const windows = await deviceEventWindows(trx, deviceId, since, { asOf, previous: options.previous });
  return recomputeForWindows(trx, windows, { ...options, asOf });
}
