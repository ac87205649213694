/**
 * The rollup computation: one set-based statement that fills every bucket of the given targets
 * (device, granularity, aligned span) and upserts them into `utilization_rollups`. The backfill,
 * the incremental path and the reconciliation job all end here.
 */
import type { Knex } from 'knex';
import { bucketCount, isAligned, mergeTargets } from './buckets';
import { MODEL, ROLLUPS_TABLE, type Target } from './model';
import { PARAMS_CTE, paramsBindings, SOURCES_CTES } from './sql/sources';

/** First key of the advisory locks that serialise rollup writes per device ('roll'). */
export const ROLLUP_LOCK_CLASS = 0x726f6c6c;

export interface ComputeOptions {
  /** Bounds what is known about device health (default: now). */
  asOf?: Date;
}

export interface ComputeResult {
  /** Buckets computed. */
  buckets: number;
  /** Rows inserted or changed (a recomputation that finds the same values writes nothing). */
  written: number;
}

const UPSERT_SQL = `
WITH ${PARAMS_CTE},
targets AS (
  SELECT t.device_id, t.grain,
         (t.lo AT TIME ZONE 'UTC') AS lo, (t.hi AT TIME ZONE 'UTC') AS hi,
         CASE t.grain WHEN 'hour' THEN interval '1 hour' ELSE interval '1 day' END AS step
    FROM unnest(?::int[], ?::text[], ?::timestamptz[], ?::timestamptz[]) AS t(device_id, grain, lo, hi)
   WHERE EXISTS (SELECT 1 FROM device_table d WHERE d.id = t.device_id)
),
spans AS (SELECT device_id, range_agg(tsrange(lo, hi)) AS mr FROM targets GROUP BY device_id),
span_parts AS (SELECT s.device_id, lower(r) AS lo, upper(r) AS hi FROM spans s, unnest(s.mr) AS r),
${SOURCES_CTES},
pieces AS (
  SELECT t.device_id, t.grain, g.bucket,
         sum(z.sec) FILTER (WHERE x.k = 'b') AS booked,
         sum(z.sec) FILTER (WHERE x.k = 'm') AS maint,
         sum(z.sec) FILTER (WHERE x.k = 'd') AS down
    FROM targets t
    JOIN cats c ON c.device_id = t.device_id
   CROSS JOIN LATERAL (
     SELECT 'b'::text AS k, r FROM unnest(c.booked * tsmultirange(tsrange(t.lo, t.hi))) AS r
     UNION ALL
     SELECT 'm', r FROM unnest(c.maintenance * tsmultirange(tsrange(t.lo, t.hi))) AS r
     UNION ALL
     SELECT 'd', r FROM unnest(c.down * tsmultirange(tsrange(t.lo, t.hi))) AS r
   ) x
   CROSS JOIN LATERAL generate_series(date_trunc(t.grain, lower(x.r)), upper(x.r) - interval '1 second', t.step)
         AS g(bucket)
   CROSS JOIN LATERAL (
     SELECT extract(epoch FROM least(upper(x.r), g.bucket + t.step) - greatest(lower(x.r), g.bucket))::int AS sec) z
   GROUP BY t.device_id, t.grain, g.bucket
),
counts AS (
  SELECT t.device_id, t.grain, g.bucket, count(*) AS bookings, count(DISTINCT b.user_id) AS users
    FROM targets t
    JOIN q_bookings b ON b.device_id = t.device_id AND b.bs < t.hi AND b.be > t.lo
   CROSS JOIN LATERAL generate_series(date_trunc(t.grain, greatest(b.bs, t.lo)),
                                      least(b.be, t.hi) - interval '1 second', t.step) AS g(bucket)
   GROUP BY t.device_id, t.grain, g.bucket
),
filled AS (
  SELECT t.device_id, t.grain, g.bucket, extract(epoch FROM t.step)::int AS len,
         coalesce(p.booked, 0)::int AS booked, coalesce(p.maint, 0)::int AS maint,
         coalesce(p.down, 0)::int AS down,
         coalesce(c.bookings, 0)::int AS bookings, coalesce(c.users, 0)::int AS users
    FROM targets t
   CROSS JOIN LATERAL generate_series(t.lo, t.hi - t.step, t.step) AS g(bucket)
    LEFT JOIN pieces p ON p.device_id = t.device_id AND p.grain = t.grain AND p.bucket = g.bucket
    LEFT JOIN counts c ON c.device_id = t.device_id AND c.grain = t.grain AND c.bucket = g.bucket
)
INSERT INTO ${ROLLUPS_TABLE} AS u (device_id, granularity, bucket_start, booked_seconds, maintenance_seconds,
       down_seconds, idle_seconds, capacity_seconds, booking_count, user_count, computed_at)
SELECT device_id, grain, bucket AT TIME ZONE 'UTC', booked, maint, down, len - booked - maint - down,
       len - maint, bookings, users, now()
  FROM filled
ON CONFLICT (device_id, granularity, bucket_start) DO UPDATE
   SET booked_seconds = EXCLUDED.booked_seconds,
       maintenance_seconds = EXCLUDED.maintenance_seconds,
       down_seconds = EXCLUDED.down_seconds,
       idle_seconds = EXCLUDED.idle_seconds,
       capacity_seconds = EXCLUDED.capacity_seconds,
       booking_count = EXCLUDED.booking_count,
       user_count = EXCLUDED.user_count,
       computed_at = EXCLUDED.computed_at
 WHERE (u.booked_seconds, u.maintenance_seconds, u.down_seconds, u.booking_count, u.user_count)
       IS DISTINCT FROM (EXCLUDED.booked_seconds, EXCLUDED.maintenance_seconds, EXCLUDED.down_seconds,
                         EXCLUDED.booking_count, EXCLUDED.user_count)`;

function validate(targets: readonly Target[]): void {
  for (const t of targets) {
    if (!Number.isInteger(t.deviceId) || t.deviceId <= 0) {
      throw new Error(`target device id must be a positive integer, got ${String(t.deviceId)}`);
    }
    if (!isAligned(t.granularity, t.start) || !isAligned(t.granularity, t.end) || t.end <= t.start) {
      throw new Error(
        `target of device ${t.deviceId} (${t.granularity}) must be ${t.granularity}-aligned and non-empty: ` +
          `${t.start.toISOString()} .. ${t.end.toISOString()}`,
      );
    }
  }
}

/** Runs fn in db when db is a transaction, else in a new transaction of db. */
export function inTransaction<T>(db: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Knex.Transaction) : db.transaction(fn);
}

/**
 * Serialises rollup writes per device until the transaction ends. Taken in a statement of its
 * own, before the computation: under READ COMMITTED the computing statement then reads a
 * snapshot taken after any concurrent writer of the same device committed, so the last write of
 * a bucket is always computed from the latest data (never a stale overwrite). Locks are taken in
 * device-id order (unnest keeps the sorted array's order), so two writers cannot deadlock.
 *
 * Also turns JIT compilation off for the rest of the transaction: the compute statement's row
 * estimates (generate_series, unnest) are far too high, which would make Postgres spend ~100 ms
 * compiling a statement that runs in a few milliseconds.
 */
export async function lockDevices(trx: Knex.Transaction, deviceIds: readonly number[]): Promise<void> {
  const ids = [...new Set(deviceIds)].sort((a, b) => a - b);
  if (ids.length === 0) return;
  await trx.raw(
    `SELECT set_config('jit', 'off', true), count(pg_advisory_xact_lock(?, t.id))
       FROM unnest(?::int[]) AS t(id)`,
    [ROLLUP_LOCK_CLASS, ids],
  );
}

/**
 * Computes and upserts every bucket of the targets, in db's transaction (or a new one). Targets
 * must be aligned to their granularity; overlapping ones are merged. Devices that do not exist
 * are skipped.
 */
export async function computeTargets(
  db: Knex,
  targets: readonly Target[],
  options: ComputeOptions = {},
): Promise<ComputeResult> {
  validate(targets);
  const merged = mergeTargets(targets);
  if (merged.length === 0) return { buckets: 0, written: 0 };
  const bindings = [
    ...paramsBindings({ asOf: options.asOf ?? new Date(), ...MODEL }),
    merged.map((t) => t.deviceId),
    merged.map((t) => t.granularity),
    merged.map((t) => t.start.toISOString()),
    merged.map((t) => t.end.toISOString()),
  ];
  return inTransaction(db, async (trx) => {
    await lockDevices(
      trx,
      merged.map((t) => t.deviceId),
    );
    let result: { rowCount: number | null };
    try {
      result = await trx.raw<{ rowCount: number | null }>(UPSERT_SQL, bindings);
    } catch (error) {
      throw new Error(
        `computing utilization rollups for ${merged.length} target(s) failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return { buckets: merged.reduce((n, t) => n + bucketCount(t), 0), written: result.rowCount ?? 0 };
  });
}
