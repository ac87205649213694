/**
 * The schema-alignment report: where the legacy data stands against the aligned schema, computed
 * from the database as it is now (so it stays true while the legacy backend keeps writing), except
 * the quarantine figures, which are what alignment set aside (`alignment_quarantine`).
 *
 * Glossary of the categories (every `device_table` row is in exactly one category of `devices`,
 * of `device_types` and of `maintenance`; see docs/schema-alignment.md):
 * - devices: `matched_exact` / `matched_normalized` (linked, by exact or trimmed case-insensitive
 *   polatis name), `linked_other` (linked, names no longer match), `ambiguous` (several inventory
 *   devices match, or the match is claimed by another scheduler device), `unmatched`,
 *   `no_polatis_name`, `linkable` (one unclaimed match, not linked yet: only after a concurrent
 *   write lost the race; any later device write links it).
 * - device_types: `exact`, `normalized` (linked other than by the exact name), `unknown` (a name no
 *   type or several types match), `missing` (no name); `mismatch_with_inventory` overlaps them.
 * - maintenance: `parsed`, `partial`, `empty`, `unparseable`, `end_before_start`.
 */
import type { Knex } from 'knex';

export const DEVICE_CATEGORIES = [
  'matched_exact',
  'matched_normalized',
  'linked_other',
  'ambiguous',
  'unmatched',
  'no_polatis_name',
  'linkable',
] as const;
export const DEVICE_TYPE_CATEGORIES = ['exact', 'normalized', 'unknown', 'missing'] as const;
export const MAINTENANCE_STATES = ['parsed', 'unparseable', 'end_before_start', 'partial', 'empty'] as const;
export const CANONICAL_STATUSES = [
  'pending',
  'pending_approval',
  'confirmed',
  'rejected',
  'cancelled',
  'completed',
] as const;

type Counts<K extends string> = Record<K, number>;
type Ids<K extends string> = Record<K, number[]>;

export interface AlignmentReport {
  devices: Counts<'total' | 'linked' | (typeof DEVICE_CATEGORIES)[number]>;
  device_types: Counts<(typeof DEVICE_TYPE_CATEGORIES)[number] | 'mismatch_with_inventory'>;
  maintenance: Counts<(typeof MAINTENANCE_STATES)[number]>;
  bookings: {
    /** Canonical status, `unknown` (unrecognised legacy value) or `null` (no status) -> count. */
    by_status: Record<string, number>;
    /** The unrecognised legacy status values and how often each occurs. */
    unknown_statuses: Record<string, number>;
    overlapping_confirmed_pairs: number;
    /** Bookings outside the exclusion constraint because they overlapped when it was added. */
    legacy_overlap_flagged: number;
  };
  ownership: Counts<'duplicate_active_revoked'>;
  tags: Counts<'duplicate_pairs_quarantined' | 'created' | 'blank'>;
  maintenance_records: Counts<'item_id_without_device'>;
  /** Quarantined rows per legacy table. */
  quarantine: Record<string, number>;
  /** With `ids: true`: the row ids behind each count (legacy primary keys; tag ids for `created`). */
  ids?: AlignmentIds;
}

export interface AlignmentIds {
  devices: Ids<'linked' | (typeof DEVICE_CATEGORIES)[number]>;
  device_types: Ids<(typeof DEVICE_TYPE_CATEGORIES)[number] | 'mismatch_with_inventory'>;
  maintenance: Ids<(typeof MAINTENANCE_STATES)[number]>;
  bookings: {
    by_status: Record<string, number[]>;
    overlapping_confirmed_pairs: Array<[number, number]>;
    legacy_overlap_flagged: number[];
  };
  ownership: Ids<'duplicate_active_revoked'>;
  tags: Ids<'duplicate_pairs_quarantined' | 'created' | 'blank'>;
  maintenance_records: Ids<'item_id_without_device'>;
  /** Primary keys (as stored in `row_pk`) of the quarantined rows, per table. */
  quarantine: Record<string, Array<Record<string, unknown>>>;
}

/** Thrown when the database lacks what the report reads: alignment has not been migrated. */
export class NotAlignedError extends Error {
  override readonly name = 'NotAlignedError';
}

const REQUIRED = [
  ['alignment_quarantine', 'to_regclass'],
  ['alignment_created_tags', 'to_regclass'],
  ['alignment_device_link_status()', 'to_regprocedure'],
  ['alignment_maintenance_window(text,text)', 'to_regprocedure'],
  ['admin_audit_log', 'to_regclass'],
] as const;

async function assertAligned(db: Knex): Promise<void> {
  const { rows } = await db.raw<{ rows: Array<{ name: string; present: boolean }> }>(
    `SELECT name, CASE kind WHEN 'to_regclass' THEN to_regclass(name) IS NOT NULL
                            ELSE to_regprocedure(name) IS NOT NULL END AS present
       FROM unnest(?::text[], ?::text[]) AS r(name, kind)`,
    [REQUIRED.map(([name]) => name), REQUIRED.map(([, kind]) => kind)],
  );
  const missing = rows.filter((r) => !r.present).map((r) => r.name);
  if (missing.length > 0) {
    throw new NotAlignedError(
      `the database is not aligned (missing ${missing.join(', ')}): run \`provdb-worker migrate\` first`,
    );
  }
}

interface Grouped {
  key: string;
  n: number;
  ids: number[] | null;
}

/** Counts (and ids) per key, with every expected key present. */
function tally<K extends string>(
  keys: readonly K[],
  rows: Grouped[],
): { counts: Record<K, number>; ids: Record<K, number[]> } {
  const counts = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  const ids = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (const row of rows) {
    if (!(keys as readonly string[]).includes(row.key)) {
      throw new Error(`alignment report: unexpected category ${JSON.stringify(row.key)}`);
    }
    counts[row.key as K] = row.n;
    ids[row.key as K] = row.ids ?? [];
  }
  return { counts, ids };
}

async function grouped(
  db: Knex,
  sql: string,
  withIds: boolean,
  bindings: readonly string[] = [],
): Promise<Grouped[]> {
  // `sql` yields (key, id); ids are aggregated only when asked for (bookings can be many).
  const agg = withIds ? 'array_agg(id ORDER BY id)' : 'NULL::int[]';
  const { rows } = await db.raw<{ rows: Grouped[] }>(
    `SELECT key, count(*)::int AS n, ${agg} AS ids FROM (${sql}) s GROUP BY key ORDER BY key`,
    [...bindings],
  );
  return rows;
}

const DEVICE_TYPES_SQL = `
  SELECT t.id,
         CASE WHEN t.device_type_id IS NOT NULL THEN
                CASE WHEN ty.name = t."deviceType" THEN 'exact' ELSE 'normalized' END
              WHEN alignment_normalize_name(t."deviceType") IS NULL THEN 'missing'
              ELSE 'unknown' END AS key,
         d.device_type_id IS NOT NULL AND t.device_type_id IS NOT NULL
           AND d.device_type_id <> t.device_type_id AS mismatch
    FROM device_table t
    LEFT JOIN device_types ty ON ty.id = t.device_type_id
    LEFT JOIN devices d ON d.id = t.inventory_device_id`;

// Candidates first (rows overlapping any other, in one sorted pass per device), then pairs among
// them only: a self-join over every booking would be quadratic per device.
const OVERLAP_PAIRS_SQL = `
  WITH q AS (
    SELECT booking_id, device_id, start_time, end_time, grouped_booking_id,
           max(end_time) OVER before_me AS latest_end_before,
           lead(start_time) OVER by_start AS earliest_start_after
      FROM booking_table
     WHERE status_canonical = 'confirmed' AND NOT is_collaborator AND end_time > start_time
    WINDOW before_me AS (PARTITION BY device_id ORDER BY start_time, booking_id
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           by_start AS (PARTITION BY device_id ORDER BY start_time, booking_id)),
  c AS (SELECT * FROM q WHERE latest_end_before > start_time OR earliest_start_after < end_time)
  SELECT a.booking_id AS a, b.booking_id AS b
    FROM c a JOIN c b
      ON b.device_id = a.device_id AND a.booking_id < b.booking_id
     AND a.start_time < b.end_time AND b.start_time < a.end_time
     AND a.grouped_booking_id <> b.grouped_booking_id
   ORDER BY a.booking_id, b.booking_id`;

/** Computes the report in one read-only, repeatable-read snapshot. */
export async function alignmentReport(knex: Knex, options: { ids?: boolean } = {}): Promise<AlignmentReport> {
  const withIds = options.ids ?? false;
  return knex.transaction(
    async (db) => {
      await assertAligned(db);

      const devices = tally(
        DEVICE_CATEGORIES,
        await grouped(
          db,
          'SELECT device_id AS id, category AS key FROM alignment_device_link_status()',
          withIds,
        ),
      );
      const linkedKeys = ['matched_exact', 'matched_normalized', 'linked_other'] as const;
      const linkedIds = linkedKeys.flatMap((k) => devices.ids[k]).sort((a, b) => a - b);
      const total = Object.values<number>(devices.counts).reduce((a, b) => a + b, 0);

      const deviceTypes = tally(
        DEVICE_TYPE_CATEGORIES,
        await grouped(db, `SELECT id, key FROM (${DEVICE_TYPES_SQL}) x`, withIds),
      );
      const mismatch = await grouped(
        db,
        `SELECT id, 'mismatch_with_inventory' AS key FROM (${DEVICE_TYPES_SQL}) x WHERE mismatch`,
        withIds,
      );

      const maintenance = tally(
        MAINTENANCE_STATES,
        await grouped(
          db,
          `SELECT t.id, w.state AS key FROM device_table t
             CROSS JOIN LATERAL alignment_maintenance_window(t.maintenance_start, t.maintenance_end) w`,
          withIds,
        ),
      );

      const statusRows = await grouped(
        db,
        `SELECT booking_id AS id,
                CASE WHEN status IS NULL THEN 'null' ELSE coalesce(status_canonical, 'unknown') END AS key
           FROM booking_table`,
        withIds,
      );
      const byStatus = tally([...CANONICAL_STATUSES, 'unknown', 'null'], statusRows);
      const unknown = await db.raw<{ rows: Array<{ status: string; n: number }> }>(
        `SELECT status, count(*)::int AS n FROM booking_table
          WHERE status IS NOT NULL AND status_canonical IS NULL GROUP BY status ORDER BY status`,
      );
      const pairs = await db.raw<{ rows: Array<{ a: number; b: number }> }>(OVERLAP_PAIRS_SQL);
      const flagged = await grouped(
        db,
        `SELECT booking_id AS id, 'legacy_overlap_flagged' AS key FROM booking_table WHERE legacy_overlap`,
        withIds,
      );

      const quarantinedIds = (table: string, reason: string) =>
        grouped(
          db,
          `SELECT (row_pk ->> 'id')::int AS id, ?::text AS key FROM alignment_quarantine
            WHERE table_name = ? AND reason = ?`,
          withIds,
          [reason, table, reason],
        );
      const ownership = await quarantinedIds('device_ownership', 'duplicate_active_ownership');
      const tagDuplicates = await quarantinedIds('device_tags', 'duplicate_device_tag');
      const created = await grouped(
        db,
        `SELECT tag_id AS id, 'created' AS key FROM alignment_created_tags`,
        withIds,
      );
      const blank = await grouped(
        db,
        `SELECT id, 'blank' AS key FROM device_tags WHERE alignment_normalize_name(tag) IS NULL`,
        withIds,
      );
      const orphans = await grouped(
        db,
        `SELECT m.id, 'item_id_without_device' AS key FROM maintenance_records m
          WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = m.item_id)`,
        withIds,
      );
      const quarantine = await db.raw<{ rows: Array<{ table_name: string; n: number; pks: unknown[] }> }>(
        `SELECT table_name, count(*)::int AS n, jsonb_agg(row_pk ORDER BY id) AS pks
           FROM alignment_quarantine GROUP BY table_name ORDER BY table_name`,
      );

      const count = (rows: Grouped[]) => rows[0]?.n ?? 0;
      const idsOf = (rows: Grouped[]) => rows[0]?.ids ?? [];
      const report: AlignmentReport = {
        devices: { total, linked: linkedKeys.reduce((n, k) => n + devices.counts[k], 0), ...devices.counts },
        device_types: { ...deviceTypes.counts, mismatch_with_inventory: count(mismatch) },
        maintenance: maintenance.counts,
        bookings: {
          by_status: byStatus.counts,
          unknown_statuses: Object.fromEntries(unknown.rows.map((r) => [r.status, r.n])),
          overlapping_confirmed_pairs: pairs.rows.length,
          legacy_overlap_flagged: count(flagged),
        },
        ownership: { duplicate_active_revoked: count(ownership) },
        tags: {
          duplicate_pairs_quarantined: count(tagDuplicates),
          created: count(created),
          blank: count(blank),
        },
        maintenance_records: { item_id_without_device: count(orphans) },
        quarantine: Object.fromEntries(quarantine.rows.map((r) => [r.table_name, r.n])),
      };
      if (withIds) {
        report.ids = {
          devices: { linked: linkedIds, ...devices.ids },
          device_types: { ...deviceTypes.ids, mismatch_with_inventory: idsOf(mismatch) },
          maintenance: maintenance.ids,
          bookings: {
            by_status: byStatus.ids,
            overlapping_confirmed_pairs: pairs.rows.map((r) => [r.a, r.b]),
            legacy_overlap_flagged: idsOf(flagged),
          },
          ownership: { duplicate_active_revoked: idsOf(ownership) },
          tags: {
            duplicate_pairs_quarantined: idsOf(tagDuplicates),
            created: idsOf(created),
            blank: idsOf(blank),
          },
          maintenance_records: { item_id_without_device: idsOf(orphans) },
          quarantine: Object.fromEntries(
            quarantine.rows.map((r) => [r.table_name, r.pks as Array<Record<string, unknown>>]),
          ),
        };
      }
      return report;
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
