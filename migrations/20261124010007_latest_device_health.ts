/**
 * Schema alignment, health snapshots: `device_health_snapshot` keeps history (several rows per
 * device, by design); an index serves "latest snapshot per device" and the view
 * `latest_device_health` gives it: per device the snapshot with the latest `updated_at` (the
 * highest id among equal ones).
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Also the index the legacy FK device_id -> device_table lacked.
  await knex.raw(`CREATE INDEX ix_device_health_snapshot_latest
    ON device_health_snapshot (device_id, updated_at DESC, id DESC)`);
  await knex.raw(`CREATE VIEW latest_device_health AS
    SELECT DISTINCT ON (h.device_id) h.device_id, h.status, h.heartbeat_at, h.metrics, h.updated_at
      FROM device_health_snapshot h
     ORDER BY h.device_id, h.updated_at DESC, h.id DESC`);
  await knex.raw(`COMMENT ON VIEW latest_device_health IS
    'provdb-worker: the latest device_health_snapshot row of each scheduler device'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP VIEW latest_device_health');
  await knex.raw('DROP INDEX ix_device_health_snapshot_latest');
}
