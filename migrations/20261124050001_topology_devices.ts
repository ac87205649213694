/**
 * `topology_devices`: which scheduler devices each topology names. The device references live
 * only inside `topology_table.nodes` (JSON), so "re-check the reviews that use device 12" needs
 * this derived index. The worker rewrites a topology's rows whenever it reviews it (in the same
 * transaction as the review), and a backfill parses every topology once.
 *
 * `device_id` has no foreign key on purpose: a topology naming device 999, which does not exist,
 * is indexed too (it is re-checked when something about device 999 changes), and a deleted
 * device's rows point the fan-out at the topologies that used it.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The primary key, led by topology_id, is the index of the foreign key.
  await knex.raw(`CREATE TABLE topology_devices (
    topology_id INTEGER NOT NULL REFERENCES topology_table (id) ON DELETE CASCADE,
    device_id INTEGER NOT NULL,
    PRIMARY KEY (topology_id, device_id))`);
  await knex.raw('CREATE INDEX topology_devices_device_id_idx ON topology_devices (device_id)');
  await knex.raw(`COMMENT ON TABLE topology_devices IS
    'provdb-worker: device ids each topology names (derived from topology_table.nodes); refreshed by every review, rebuilt by the backfill'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE topology_devices');
}
