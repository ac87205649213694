/**
 * Which reservations an event makes stale: the targets of the `booking.reevaluate` fan-out.
 * Each returns grouped_booking_ids, sorted, without repeats (one follow-up per reservation per
 * event). Only upcoming reservations are decided again: a row of the reservation starts after
 * `now` (deciding one that has begun would only report that it starts in the past) and is
 * pending, pending approval or confirmed ("live").
 */
import type { Knex } from 'knex';
import { BOOKING_TABLE } from '../db/models';

/** The statuses of a reservation that a new decision can still matter to. */
export const LIVE_STATUSES = ['pending', 'pending_approval', 'confirmed'] as const;

export interface Window {
  readonly startsAt: Date;
  /** null: open-ended. */
  readonly endsAt: Date | null;
}

async function distinctGroups(query: Knex.QueryBuilder): Promise<string[]> {
  const rows = (await query.distinct('grouped_booking_id').orderBy('grouped_booking_id')) as Array<{
    grouped_booking_id: string;
  }>;
  return rows.map((r) => r.grouped_booking_id);
}

/**
 * Live upcoming reservations of a device; with `windows`, only those with a row of the
 * device meeting one of them (a maintenance window before or after a change).
 */
export function reservationsOfDevice(
  db: Knex | Knex.Transaction,
  deviceId: number,
  now: Date,
  windows?: readonly Window[],
): Promise<string[]> {
  const query = db(BOOKING_TABLE)
    .where({ device_id: deviceId })
    .where('start_time', '>', now)
    .whereIn('status_canonical', [...LIVE_STATUSES]);
  if (windows) {
    if (windows.length === 0) return Promise.resolve([]);
    query.where((any) => {
      for (const w of windows) {
        any.orWhere((q) => {
          q.where('end_time', '>', w.startsAt);
          if (w.endsAt) q.where('start_time', '<', w.endsAt);
        });
      }
    });
  }
  return distinctGroups(query);
}

/** Every live upcoming reservation (for `rules.changed`). */
export function upcomingReservations(db: Knex | Knex.Transaction, now: Date): Promise<string[]> {
  return distinctGroups(
    db(BOOKING_TABLE)
      .where('start_time', '>', now)
      .whereIn('status_canonical', [...LIVE_STATUSES]),
  );
}

/**
 * Reservations a cancelled booking may have blocked: pending or pending-approval rows of other
 * reservations on the same device, not started yet, whose window meets the cancelled window
 * widened by `marginMinutes` (the turnaround time) on both sides.
 */
export function reservationsBlockedBy(
  db: Knex | Knex.Transaction,
  cancelled: { deviceId: number; startsAt: Date; endsAt: Date; groupedBookingId: string | null },
  now: Date,
  marginMinutes: number,
): Promise<string[]> {
  const margin = marginMinutes * 60_000;
  const query = db(BOOKING_TABLE)
    .where({ device_id: cancelled.deviceId })
    .where('start_time', '>', now)
    .whereIn('status_canonical', ['pending', 'pending_approval'])
    .where('start_time', '<', new Date(cancelled.endsAt.getTime() + margin))
    .where('end_time', '>', new Date(cancelled.startsAt.getTime() - margin));
  if (cancelled.groupedBookingId !== null) query.whereNot({ grouped_booking_id: cancelled.groupedBookingId });
  return distinctGroups(query);
}

/** Whether a reservation is still worth deciding again: a live row that has not started. */
/** isUpcoming for several reservations in one read: the ones that are. */
export async function upcomingOf(
  db: Knex | Knex.Transaction,
  groupedBookingIds: readonly string[],
  now: Date,
): Promise<Set<string>> {
  if (groupedBookingIds.length === 0) return new Set();
  const rows = (await db(BOOKING_TABLE)
    .distinct('grouped_booking_id')
    .whereIn('grouped_booking_id', [...new Set(groupedBookingIds)])
    .where('start_time', '>', now)
    .whereIn('status_canonical', [...LIVE_STATUSES])) as Array<{ grouped_booking_id: string }>;
  return new Set(rows.map((r) => r.grouped_booking_id));
}

export async function isUpcoming(
  db: Knex | Knex.Transaction,
  groupedBookingId: string,
  now: Date,
): Promise<boolean> {
  const row = await db(BOOKING_TABLE)
    .where({ grouped_booking_id: groupedBookingId })
    .where('start_time', '>', now)
    .whereIn('status_canonical', [...LIVE_STATUSES])
    .first('booking_id');
  return row !== undefined;
}
