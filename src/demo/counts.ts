/**
 * What a seeded lab holds, counted in the database (not from what the seeder meant to write):
 * rows per legacy table and the shape of the bookings.
 */
import type { Knex } from 'knex';

export const LEGACY_TABLES = [
  'user_table',
  'admin_roles',
  'admin_settings',
  'admin_invitations',
  'admin_audit_log',
  'sites',
  'manufacturers',
  'device_types',
  'tags',
  'devices',
  'inventory_device_tags',
  'device_history',
  'maintenance_records',
  'device_table',
  'device_tags',
  'device_ownership',
  'device_health_snapshot',
  'booking_table',
  'booking_favorite',
  'topology_table',
  'topology_review',
] as const;

export type LegacyTable = (typeof LEGACY_TABLES)[number];

export interface BookingCounts {
  /** Reservations (distinct grouped_booking_id). */
  reservations: number;
  rows: number;
  collaboratorRows: number;
  /** Reservations with rows on more than one device. */
  multiDeviceReservations: number;
  /** By status_canonical (`unknown`: an unrecognised legacy status, `none`: NULL). */
  byStatus: Record<string, number>;
  firstStart: string | null;
  lastEnd: string | null;
}

export async function countLab(
  db: Knex,
): Promise<{ counts: Record<LegacyTable, number>; bookings: BookingCounts }> {
  const { rows } = await db.raw<{ rows: Array<{ t: LegacyTable; n: number }> }>(
    LEGACY_TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${t}`).join(' UNION ALL '),
  );
  const counts = Object.fromEntries(rows.map((r) => [r.t, r.n])) as Record<LegacyTable, number>;

  const { rows: shape } = await db.raw<{
    rows: Array<{
      reservations: number;
      rows: number;
      collaborator_rows: number;
      first_start: Date | null;
      last_end: Date | null;
    }>;
  }>(`SELECT count(DISTINCT grouped_booking_id)::int AS reservations, count(*)::int AS rows,
             count(*) FILTER (WHERE is_collaborator)::int AS collaborator_rows,
             min(start_time) AS first_start, max(end_time) AS last_end
        FROM booking_table`);
  const { rows: multi } = await db.raw<{ rows: Array<{ n: number }> }>(
    `SELECT count(*)::int AS n FROM (
       SELECT grouped_booking_id FROM booking_table WHERE NOT is_collaborator
        GROUP BY grouped_booking_id HAVING count(DISTINCT device_id) > 1) g`,
  );
  const { rows: statuses } = await db.raw<{ rows: Array<{ status: string; n: number }> }>(
    `SELECT CASE WHEN status IS NULL THEN 'none' ELSE coalesce(status_canonical, 'unknown') END AS status,
            count(*)::int AS n
       FROM booking_table GROUP BY 1 ORDER BY 1`,
  );
  const s = shape[0];
  return {
    counts,
    bookings: {
      reservations: s?.reservations ?? 0,
      rows: s?.rows ?? 0,
      collaboratorRows: s?.collaborator_rows ?? 0,
      multiDeviceReservations: multi[0]?.n ?? 0,
      byStatus: Object.fromEntries(statuses.map((r) => [r.status, r.n])),
      firstStart: s?.first_start ? s.first_start.toISOString() : null,
      lastEnd: s?.last_end ? s.last_end.toISOString() : null,
    },
  };
}
