/**
 * Reading a reservation's rows (every row sharing a grouped_booking_id: the owner's row per
 * device and the collaborator rows) and the confirmed bookings that block it.
 */
import type { Knex } from 'knex';
import { groupBy } from '../collections';
import { BOOKING_TABLE } from '../db/models';

export interface ReservationRow {
  readonly bookingId: number;
  readonly deviceId: number;
  readonly isCollaborator: boolean;
  /** booking_table.status as the scheduler wrote it. */
  readonly status: string | null;
  /** The canonical status (status_canonical); null when the legacy value is unrecognised. */
  readonly canonical: string | null;
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
}

interface RowOfReservation {
  grouped_booking_id: string;
  booking_id: number;
  device_id: number;
  is_collaborator: boolean;
  status: string | null;
  status_canonical: string | null;
  start_time: Date | null;
  end_time: Date | null;
}

const toRows = (rows: readonly RowOfReservation[]): ReservationRow[] =>
  rows.map((r) => ({
    bookingId: r.booking_id,
    deviceId: r.device_id,
    isCollaborator: r.is_collaborator,
    status: r.status,
    canonical: r.status_canonical,
    startsAt: r.start_time,
    endsAt: r.end_time,
  }));

export async function reservationRows(
  db: Knex | Knex.Transaction,
  groupedBookingId: string,
): Promise<ReservationRow[]> {
  return (await reservationRowsOf(db, [groupedBookingId])).get(groupedBookingId) ?? [];
}

/** reservationRows for several reservations in one read; ids without rows are absent. */
export async function reservationRowsOf(
  db: Knex | Knex.Transaction,
  groupedBookingIds: readonly string[],
): Promise<Map<string, ReservationRow[]>> {
  if (groupedBookingIds.length === 0) return new Map();
  const rows = (await db(BOOKING_TABLE)
    .whereIn('grouped_booking_id', [...new Set(groupedBookingIds)])
    .orderBy(['grouped_booking_id', 'booking_id'])
    .select(
      'grouped_booking_id',
      'booking_id',
      'device_id',
      'is_collaborator',
      'status',
      'status_canonical',
      'start_time',
      'end_time',
    )) as RowOfReservation[];
  const byReservation = groupBy(rows, (row) => row.grouped_booking_id);
  return new Map([...byReservation].map(([id, list]) => [id, toRows(list)]));
}

/**
 * The reservation a booking row belongs to, with all its rows (as reservationRows), in one
 * read; undefined when no row has the booking id.
 */
export async function reservationOfBooking(
  db: Knex | Knex.Transaction,
  bookingId: number,
): Promise<{ groupedBookingId: string; rows: ReservationRow[] } | undefined> {
  return (await reservationsOfBookings(db, [bookingId])).get(bookingId);
}

/** reservationOfBooking for several booking rows, in one read; booking ids without a row are absent. */
export async function reservationsOfBookings(
  db: Knex | Knex.Transaction,
  bookingIds: readonly number[],
): Promise<Map<number, { groupedBookingId: string; rows: ReservationRow[] }>> {
  const out = new Map<number, { groupedBookingId: string; rows: ReservationRow[] }>();
  if (bookingIds.length === 0) return out;
  const { rows } = await db.raw<{ rows: Array<RowOfReservation & { of_booking: number }> }>(
    `SELECT b.booking_id AS of_booking, r.grouped_booking_id, r.booking_id, r.device_id, r.is_collaborator,
            r.status, r.status_canonical, r.start_time, r.end_time
       FROM ${BOOKING_TABLE} b
       JOIN ${BOOKING_TABLE} r ON r.grouped_booking_id = b.grouped_booking_id
      WHERE b.booking_id = ANY(?::int[])
      ORDER BY b.booking_id, r.booking_id`,
    [[...new Set(bookingIds)]],
  );
  for (const [bookingId, list] of groupBy(rows, (row) => row.of_booking)) {
    out.set(bookingId, { groupedBookingId: list[0]!.grouped_booking_id, rows: toRows(list) });
  }
  return out;
}

/** booking_id -> status, for the rows of a reservation. */
export async function statusesOf(
  db: Knex | Knex.Transaction,
  groupedBookingId: string,
): Promise<Map<number, string | null>> {
  const rows = (await db(BOOKING_TABLE)
    .where({ grouped_booking_id: groupedBookingId })
    .select('booking_id', 'status')) as Array<{ booking_id: number; status: string | null }>;
  return new Map(rows.map((r) => [r.booking_id, r.status]));
}

export interface BlockingBooking {
  readonly bookingId: number;
  readonly deviceId: number;
  readonly startsAt: string;
  readonly endsAt: string;
}

/**
 * Confirmed owner rows of other reservations that overlap one of the reservation's owner rows
 * on the same device: what the `booking_table_no_confirmed_overlap` constraint compares.
 */
export async function blockingBookings(
  db: Knex | Knex.Transaction,
  groupedBookingId: string,
): Promise<BlockingBooking[]> {
  const { rows } = await db.raw<{
    rows: Array<{ booking_id: number; device_id: number; start_time: Date; end_time: Date }>;
  }>(
    `SELECT DISTINCT o.booking_id, o.device_id, o.start_time, o.end_time
       FROM ${BOOKING_TABLE} b
       JOIN ${BOOKING_TABLE} o
         ON o.device_id = b.device_id
        AND o.grouped_booking_id <> b.grouped_booking_id
        AND o.status_canonical = 'confirmed' AND NOT o.is_collaborator
        AND o.start_time < b.end_time AND b.start_time < o.end_time
      WHERE b.grouped_booking_id = ? AND NOT b.is_collaborator
      ORDER BY o.booking_id`,
    [groupedBookingId],
  );
  return rows.map((r) => ({
    bookingId: r.booking_id,
    deviceId: r.device_id,
    startsAt: r.start_time.toISOString(),
    endsAt: r.end_time.toISOString(),
  }));
}
