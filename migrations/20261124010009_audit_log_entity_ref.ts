/**
 * Schema alignment, audit log: `admin_audit_log.entity_ref`, a STORED generated bigint holding
 * `entity_id` when that string is a whole number (surrounding whitespace allowed, up to 18
 * digits), NULL otherwise, indexed with `entity_type` so audit rows join to their entities
 * (`... JOIN booking_table b ON a.entity_type = 'booking' AND b.booking_id = a.entity_ref`).
 * The legacy `entity_id` is untouched. Adding the column rewrites the table once.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(String.raw`ALTER TABLE admin_audit_log ADD COLUMN entity_ref BIGINT
    GENERATED ALWAYS AS ((substring(entity_id FROM '^\s*(\d{1,18})\s*$'))::BIGINT) STORED`);
  await knex.raw('CREATE INDEX ix_admin_audit_log_entity ON admin_audit_log (entity_type, entity_ref)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX ix_admin_audit_log_entity');
  await knex.raw('ALTER TABLE admin_audit_log DROP COLUMN entity_ref');
}
