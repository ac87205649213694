/**
 * Reading rollups for any range: whole UTC days come from day rows, the partial days at either
 * edge from hour rows (the coarsest rows that cover the range exactly), per device and by the
 * dimensions admins ask about: device type, category, site, manufacturer and tag (from
 * `linked_devices`). Ranges are widened to whole hours (rollups hold nothing finer).
 *
 * Every figure comes with `covered_seconds`, the bucket time actually found: less than
 * `expected_seconds` (devices x range) means part of the range was never computed (run
 * `provdb-worker rollup` for it), so a low utilization is not mistaken for an idle lab.
 */
import type { Knex } from 'knex';
import { ceilTo, floorTo } from './buckets';
import { ROLLUPS_TABLE, utilization } from './model';

export interface RangePlan {
  /** The range actually read, widened to whole hours. */
  from: Date;
  to: Date;
  /** Whole days read from day rows: [dayFrom, dayTo); empty when dayFrom >= dayTo. */
  dayFrom: Date;
  dayTo: Date;
}

export function planRange(from: Date, to: Date): RangePlan {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) {
    throw new Error(`utilization range must be two dates, end after start: ${String(from)} .. ${String(to)}`);
  }
  const f = floorTo('hour', from);
  const t = ceilTo('hour', to);
  const dayFrom = ceilTo('day', f);
  const dayTo = floorTo('day', t);
  return dayFrom < dayTo ? { from: f, to: t, dayFrom, dayTo } : { from: f, to: t, dayFrom: t, dayTo: t };
}

/**
 * SQL selecting the rollup rows that cover a plan exactly, with `len` (bucket seconds). Binds
 * six values, from planBindings().
 */
export const COVERING_ROWS_SQL = `
  SELECT r.device_id, r.booked_seconds, r.maintenance_seconds, r.down_seconds, r.idle_seconds,
         r.capacity_seconds, CASE r.granularity WHEN 'hour' THEN 3600 ELSE 86400 END AS len
    FROM ${ROLLUPS_TABLE} r
   WHERE (r.granularity = 'day' AND r.bucket_start >= ?::timestamptz AND r.bucket_start < ?::timestamptz)
      OR (r.granularity = 'hour' AND r.bucket_start >= ?::timestamptz AND r.bucket_start < ?::timestamptz)
      OR (r.granularity = 'hour' AND r.bucket_start >= ?::timestamptz AND r.bucket_start < ?::timestamptz)`;

export function planBindings(p: RangePlan): string[] {
  return [p.dayFrom, p.dayTo, p.from, p.dayFrom, p.dayTo, p.to].map((d) => d.toISOString());
}

export const DIMENSIONS = ['device', 'device_type', 'category', 'site', 'manufacturer', 'tag'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Key and label of each dimension over `linked_devices l` (tag: over `tag`, see below). */
const KEYS: Record<Dimension, { key: string; label: string }> = {
  device: {
    key: 'l.device_id::text',
    label: "coalesce(l.device_name, l.polatis_name, 'device ' || l.device_id)",
  },
  device_type: { key: 'l.device_type_id::text', label: 'l.device_type_name' },
  category: { key: 'l.category', label: 'l.category' },
  site: { key: 'l.site_id::text', label: 'l.site_name' },
  manufacturer: { key: 'l.manufacturer_id::text', label: 'l.manufacturer_name' },
  tag: { key: 'tag', label: 'tag' },
};

export interface UtilizationGroup {
  /** The dimension's key (id as text, category or tag name), or null: devices without one. */
  key: string | null;
  label: string | null;
  devices: number;
  booked_seconds: number;
  maintenance_seconds: number;
  down_seconds: number;
  idle_seconds: number;
  capacity_seconds: number;
  /** Seconds of buckets found; expected_seconds when the whole range was computed. */
  covered_seconds: number;
  expected_seconds: number;
  /** booked / capacity; null when there was no capacity. */
  utilization: number | null;
}

export interface UtilizationQuery {
  from: Date;
  to: Date;
  /** Only these scheduler devices (default: all). */
  deviceIds?: readonly number[];
}

/**
 * Utilization per value of a dimension over a range. A device with several tags counts under
 * each of them (so tag groups do not add up to the lab's total); devices without a tag, type,
 * site or manufacturer form the group with key null.
 */
export async function utilizationBy(
  db: Knex,
  dimension: Dimension,
  query: UtilizationQuery,
): Promise<{ range: RangePlan; groups: UtilizationGroup[] }> {
  if (!(DIMENSIONS as readonly string[]).includes(dimension)) {
    throw new Error(`dimension ${JSON.stringify(dimension)} must be one of ${DIMENSIONS.join(', ')}`);
  }
  const plan = planRange(query.from, query.to);
  const { key, label } = KEYS[dimension];
  const tagJoin =
    dimension === 'tag'
      ? `CROSS JOIN LATERAL unnest(CASE WHEN cardinality(l.tags) = 0 THEN ARRAY[NULL::text] ELSE l.tags END) AS tag`
      : '';
  const rangeSeconds = (plan.to.getTime() - plan.from.getTime()) / 1000;
  const { rows } = await db.raw<{ rows: Array<Omit<UtilizationGroup, 'utilization'>> }>(
    `WITH per_device AS (
       SELECT device_id, sum(booked_seconds) AS booked, sum(maintenance_seconds) AS maint,
              sum(down_seconds) AS down, sum(idle_seconds) AS idle, sum(capacity_seconds) AS capacity,
              sum(len) AS covered
         FROM (${COVERING_ROWS_SQL}) c
        GROUP BY device_id)
     SELECT ${key} AS key, min(${label}) AS label, count(DISTINCT l.device_id)::int AS devices,
            coalesce(sum(p.booked), 0)::bigint AS booked_seconds,
            coalesce(sum(p.maint), 0)::bigint AS maintenance_seconds,
            coalesce(sum(p.down), 0)::bigint AS down_seconds,
            coalesce(sum(p.idle), 0)::bigint AS idle_seconds,
            coalesce(sum(p.capacity), 0)::bigint AS capacity_seconds,
            coalesce(sum(p.covered), 0)::bigint AS covered_seconds,
            (count(DISTINCT l.device_id) * ?::bigint)::bigint AS expected_seconds
       FROM linked_devices l
       ${tagJoin}
       LEFT JOIN per_device p ON p.device_id = l.device_id
      WHERE (?::int[] IS NULL OR l.device_id = ANY (?::int[]))
      GROUP BY 1
      ORDER BY 1 NULLS LAST`,
    [
      ...planBindings(plan),
      rangeSeconds,
      query.deviceIds ? [...query.deviceIds] : null,
      query.deviceIds ? [...query.deviceIds] : null,
    ],
  );
  return {
    range: plan,
    groups: rows.map((r) => ({ ...r, utilization: utilization(r.booked_seconds, r.capacity_seconds) })),
  };
}
