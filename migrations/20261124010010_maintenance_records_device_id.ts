/**
 * Schema alignment, maintenance records: `maintenance_records.device_id` -> `devices.id`
 * (nullable, indexed) for new records. Not backfilled: the legacy `item_id` may point at the
 * old inventory_items table and is not trusted as a device id (`provdb-worker align report`
 * counts the item_id values that match no device). Deleting a device sets it to NULL.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE maintenance_records ADD COLUMN device_id INTEGER
    CONSTRAINT maintenance_records_device_id_fkey REFERENCES devices (id) ON DELETE SET NULL`);
  await knex.raw('CREATE INDEX ix_maintenance_records_device_id ON maintenance_records (device_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX ix_maintenance_records_device_id');
  await knex.raw('ALTER TABLE maintenance_records DROP COLUMN device_id');
}
