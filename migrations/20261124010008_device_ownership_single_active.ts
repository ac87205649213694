/**
 * Schema alignment, ownership: at most one active (revoked_at NULL) `device_ownership` row per
 * (device_id, owner_id), enforced by the partial unique index ux_device_ownership_active.
 *
 * For legacy duplicates the oldest assignment (earliest assigned_at, then lowest id) stays
 * active; each later one is copied whole to `alignment_quarantine` and then revoked at migration
 * time (UTC, like the legacy backend's timestamps). A second active assignment written by the
 * legacy backend now fails with 23505.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

const MIGRATION = '20261124010008_device_ownership_single_active';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `WITH ranked AS (
       SELECT o.*, row_number() OVER (PARTITION BY o.device_id, o.owner_id
                                      ORDER BY o.assigned_at, o.id) AS n
         FROM device_ownership o WHERE o.revoked_at IS NULL)
     INSERT INTO alignment_quarantine (table_name, row_pk, reason, row_data, migration)
     SELECT 'device_ownership', jsonb_build_object('id', r.id), 'duplicate_active_ownership',
            to_jsonb(r) - 'n', :migration
       FROM ranked r WHERE r.n > 1 ORDER BY r.id`,
    { migration: MIGRATION },
  );
  await knex.raw(
    `UPDATE device_ownership SET revoked_at = now() AT TIME ZONE 'UTC'
      WHERE id IN (SELECT (row_pk ->> 'id')::INTEGER FROM alignment_quarantine
                    WHERE migration = :migration AND table_name = 'device_ownership')`,
    { migration: MIGRATION },
  );
  await knex.raw(`CREATE UNIQUE INDEX ux_device_ownership_active ON device_ownership (device_id, owner_id)
    WHERE revoked_at IS NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX ux_device_ownership_active');
  // Row for row as it was, whatever happened to it since (re-inserted if it was deleted).
  await knex.raw(
    `INSERT INTO device_ownership
     SELECT (jsonb_populate_record(NULL::device_ownership, q.row_data)).*
       FROM alignment_quarantine q
      WHERE q.migration = :migration AND q.table_name = 'device_ownership'
      ORDER BY q.id
     ON CONFLICT (id) DO UPDATE SET
       device_id = EXCLUDED.device_id, owner_id = EXCLUDED.owner_id,
       assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at,
       revoked_at = EXCLUDED.revoked_at`,
    { migration: MIGRATION },
  );
  await knex.raw('DELETE FROM alignment_quarantine WHERE migration = :migration', { migration: MIGRATION });
}
