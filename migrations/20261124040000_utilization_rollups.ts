/**
 * Utilization rollups: one row per scheduler device, granularity (`hour` | `day`) and UTC bucket,
 * with the bucket's seconds split into four categories that never overlap (maintenance, down,
 * booked, idle). Derived data: every row can be recomputed from bookings, maintenance and health
 * snapshots (see docs/rollups.md), so a deleted device takes its rows with it (ON DELETE CASCADE)
 * instead of blocking the legacy backend's delete.
 *
 * Not partitioned (yet): 500 devices over two years is about 9 million rows (8,760 hour rows and
 * 365 day rows per device-year), about 1 GB with indexes, which the primary key and the time
 * index below serve with index range scans. Partitioning by month pays off once old hour rows
 * must be dropped cheaply (retention) or the table reaches tens of GB; it would add partition
 * upkeep (creating next months ahead of far-future bookings, moving rows out of a default
 * partition). The primary key already holds `bucket_start`, so the table can be turned into a
 * range-partitioned one later without changing its keys.
 *
 * Also adds an index on health snapshots by observation time, which the down-time model reads.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

const TABLE = 'utilization_rollups';
const SNAPSHOT_INDEX = 'ix_device_health_snapshot_device_observed';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE ${TABLE} (
    device_id INTEGER NOT NULL REFERENCES device_table (id) ON DELETE CASCADE,
    granularity TEXT NOT NULL,
    bucket_start TIMESTAMPTZ NOT NULL,
    booked_seconds INTEGER NOT NULL,
    maintenance_seconds INTEGER NOT NULL,
    down_seconds INTEGER NOT NULL,
    idle_seconds INTEGER NOT NULL,
    capacity_seconds INTEGER NOT NULL,
    booking_count INTEGER NOT NULL,
    user_count INTEGER NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ${TABLE}_pkey PRIMARY KEY (device_id, granularity, bucket_start),
    CONSTRAINT ${TABLE}_granularity_check CHECK (granularity IN ('hour', 'day')),
    -- Buckets are whole UTC hours or days (AT TIME ZONE 'UTC' keeps this immutable).
    CONSTRAINT ${TABLE}_bucket_aligned_check
      CHECK (date_trunc(granularity, bucket_start AT TIME ZONE 'UTC') = bucket_start AT TIME ZONE 'UTC'),
    CONSTRAINT ${TABLE}_seconds_check CHECK (
      booked_seconds >= 0 AND maintenance_seconds >= 0 AND down_seconds >= 0 AND idle_seconds >= 0
      AND booking_count >= 0 AND user_count >= 0 AND user_count <= booking_count
      AND booked_seconds + maintenance_seconds + down_seconds + idle_seconds
          = CASE granularity WHEN 'hour' THEN 3600 ELSE 86400 END
      AND capacity_seconds = CASE granularity WHEN 'hour' THEN 3600 ELSE 86400 END - maintenance_seconds)
  )`);
  // Cross-device time-range scans (dimension summaries, Grafana); per-device scans use the key.
  await knex.raw(`CREATE INDEX ix_${TABLE}_granularity_bucket ON ${TABLE} (granularity, bucket_start)`);
  await knex.raw(`COMMENT ON TABLE ${TABLE} IS
    'provdb-worker: seconds of each UTC hour/day per scheduler device: maintenance, down, booked, idle (disjoint, in that precedence); see docs/rollups.md'`);
  await knex.raw(
    `CREATE INDEX ${SNAPSHOT_INDEX} ON device_health_snapshot (device_id, (coalesce(heartbeat_at, updated_at)), id)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX ${SNAPSHOT_INDEX}`);
  await knex.raw(`DROP TABLE ${TABLE}`);
}
