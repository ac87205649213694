/**
 * Schema alignment, devices linked: `device_table.inventory_device_id` -> `devices.id`, unique
 * where set, so a scheduler device knows its inventory device.
 *
 * Matching is by `polatis_name`: an exact match first; only when there is none, a match after
 * trimming and lower-casing. A scheduler device whose name matches several inventory devices, or
 * whose only match is claimed by another scheduler device too (by name, or by an existing link),
 * is ambiguous and left unlinked; so is one with no match or no name. All of them are reported
 * (`provdb-worker align report`). `alignment_device_link_status()` is that rule, in one place,
 * for the backfill, the triggers and the report.
 *
 * The legacy backend keeps writing `device_table` and `devices` as before; triggers relink:
 * renaming a scheduler device drops its link and matches it again, and any insert, rename or
 * delete on either side links the scheduler devices that have become unambiguous. A link, once
 * made, follows the inventory device's id (renaming the inventory device keeps it). Deleting an
 * inventory device sets the link to NULL instead of failing.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

const STATUS_FUNCTION = `CREATE FUNCTION alignment_device_link_status()
  RETURNS TABLE (device_id INTEGER, inventory_device_id INTEGER, candidate_id INTEGER,
                 candidates INTEGER, claimants INTEGER, category TEXT)
  LANGUAGE sql STABLE AS $$
  WITH s AS (
    SELECT t.id, t.polatis_name, t.inventory_device_id, alignment_normalize_name(t.polatis_name) AS norm
      FROM device_table t
  ),
  exact AS (
    SELECT s.id, count(*)::INTEGER AS n, min(d.id) AS cand
      FROM s JOIN devices d ON d.polatis_name = s.polatis_name
     WHERE s.norm IS NOT NULL
     GROUP BY s.id
  ),
  loose AS (
    SELECT s.id, count(*)::INTEGER AS n, min(d.id) AS cand
      FROM s JOIN devices d ON alignment_normalize_name(d.polatis_name) = s.norm
     GROUP BY s.id
  ),
  matched AS (
    -- an exact match, when there is one, decides alone
    SELECT s.id, s.polatis_name, s.norm, s.inventory_device_id,
           coalesce(e.n, l.n, 0) AS n,
           CASE WHEN coalesce(e.n, l.n) = 1 THEN coalesce(e.cand, l.cand) END AS cand
      FROM s LEFT JOIN exact e ON e.id = s.id LEFT JOIN loose l ON l.id = s.id
  ),
  claims AS (
    SELECT c.inv, count(*)::INTEGER AS n
      FROM (SELECT m.inventory_device_id AS inv FROM matched m WHERE m.inventory_device_id IS NOT NULL
            UNION ALL
            SELECT m.cand FROM matched m WHERE m.inventory_device_id IS NULL AND m.cand IS NOT NULL) c
     GROUP BY c.inv
  )
  SELECT m.id, m.inventory_device_id, m.cand, m.n, coalesce(c.n, 0),
         CASE
           WHEN m.inventory_device_id IS NOT NULL THEN
             CASE WHEN d.polatis_name = m.polatis_name THEN 'matched_exact'
                  WHEN alignment_normalize_name(d.polatis_name) = m.norm THEN 'matched_normalized'
                  ELSE 'linked_other' END
           WHEN m.norm IS NULL THEN 'no_polatis_name'
           WHEN m.n = 0 THEN 'unmatched'
           WHEN m.n > 1 OR c.n > 1 THEN 'ambiguous'
           ELSE 'linkable'
         END
    FROM matched m
    LEFT JOIN claims c ON c.inv = coalesce(m.inventory_device_id, m.cand)
    LEFT JOIN devices d ON d.id = m.inventory_device_id
$$`;

const LINK_FUNCTION = `CREATE FUNCTION alignment_link_devices() RETURNS INTEGER
  LANGUAGE plpgsql AS $$
  DECLARE
    linked INTEGER := 0;
  BEGIN
    -- One linker at a time, so two transactions cannot both claim one inventory device.
    PERFORM pg_advisory_xact_lock(hashtext('provdb-worker: alignment_link_devices'));
    BEGIN
      UPDATE device_table t SET inventory_device_id = s.candidate_id
        FROM alignment_device_link_status() s
       WHERE t.id = s.device_id AND s.category = 'linkable' AND t.inventory_device_id IS NULL;
      GET DIAGNOSTICS linked = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
      -- A concurrent (repeatable-read) writer linked the same inventory device first: leave
      -- these unlinked, to be reported, rather than fail the legacy backend's write.
      linked := 0;
    END;
    RETURN linked;
  END $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE device_table ADD COLUMN inventory_device_id INTEGER
    CONSTRAINT device_table_inventory_device_id_fkey REFERENCES devices (id) ON DELETE SET NULL`);
  await knex.raw(`CREATE UNIQUE INDEX ux_device_table_inventory_device_id ON device_table (inventory_device_id)
    WHERE inventory_device_id IS NOT NULL`);
  await knex.raw(STATUS_FUNCTION);
  await knex.raw(`COMMENT ON FUNCTION alignment_device_link_status() IS
    'provdb-worker: for each device_table row, its polatis_name match against devices and its link category (matched_exact, matched_normalized, linked_other, ambiguous, unmatched, no_polatis_name, linkable)'`);
  await knex.raw(LINK_FUNCTION);
  await knex.raw('SELECT alignment_link_devices()');

  await knex.raw(`CREATE FUNCTION alignment_device_unlink_on_rename() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      -- A renamed scheduler device is matched again (by the statement trigger), unless the
      -- same write set its link explicitly.
      IF NEW.polatis_name IS DISTINCT FROM OLD.polatis_name
         AND NEW.inventory_device_id IS NOT DISTINCT FROM OLD.inventory_device_id THEN
        NEW.inventory_device_id := NULL;
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw(`CREATE TRIGGER alignment_device_unlink_on_rename
    BEFORE UPDATE OF polatis_name ON device_table
    FOR EACH ROW EXECUTE FUNCTION alignment_device_unlink_on_rename()`);
  await knex.raw(`CREATE FUNCTION alignment_device_relink() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM alignment_link_devices();
      RETURN NULL;
    END $$`);
  await knex.raw(`CREATE TRIGGER alignment_device_relink
    AFTER INSERT OR UPDATE OF polatis_name OR DELETE ON device_table
    FOR EACH STATEMENT EXECUTE FUNCTION alignment_device_relink()`);
  await knex.raw(`CREATE TRIGGER alignment_device_relink
    AFTER INSERT OR UPDATE OF polatis_name OR DELETE ON devices
    FOR EACH STATEMENT EXECUTE FUNCTION alignment_device_relink()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER alignment_device_relink ON devices');
  await knex.raw('DROP TRIGGER alignment_device_relink ON device_table');
  await knex.raw('DROP FUNCTION alignment_device_relink()');
  await knex.raw('DROP TRIGGER alignment_device_unlink_on_rename ON device_table');
  await knex.raw('DROP FUNCTION alignment_device_unlink_on_rename()');
  await knex.raw('DROP FUNCTION alignment_link_devices()');
  await knex.raw('DROP FUNCTION alignment_device_link_status()');
  await knex.raw('DROP INDEX ux_device_table_inventory_device_id');
  await knex.raw('ALTER TABLE device_table DROP COLUMN inventory_device_id');
}
