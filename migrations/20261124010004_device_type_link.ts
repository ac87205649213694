/**
 * Schema alignment, device types: `device_table.device_type_id` -> `device_types.id`, from the
 * legacy `deviceType` string, which stays as it is. An exact name match first; otherwise a match
 * after trimming and lower-casing, used only when exactly one type matches. Unknown or missing
 * strings stay unlinked and are reported, as are linked devices whose inventory device has
 * another type (`provdb-worker align report`).
 *
 * Triggers keep the link current for the legacy backend's writes: a new or re-typed scheduler
 * device is matched (unless the same write sets `device_type_id` itself), and when types are
 * added, renamed or deleted the unlinked devices are matched again. Deleting a type sets the
 * link to NULL instead of failing.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE device_table ADD COLUMN device_type_id INTEGER
    CONSTRAINT device_table_device_type_id_fkey REFERENCES device_types (id) ON DELETE SET NULL`);
  await knex.raw('CREATE INDEX ix_device_table_device_type_id ON device_table (device_type_id)');

  await knex.raw(`CREATE FUNCTION alignment_match_device_type(legacy_type TEXT) RETURNS INTEGER
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(
        (SELECT id FROM device_types WHERE name = legacy_type),
        (SELECT min(id) FROM device_types
          WHERE alignment_normalize_name(name) = alignment_normalize_name(legacy_type)
         HAVING count(*) = 1))
    $$`);
  await knex.raw(`COMMENT ON FUNCTION alignment_match_device_type(TEXT) IS
    'provdb-worker: the device_types.id a legacy deviceType string names (exact, else the single trimmed case-insensitive match), or NULL'`);
  await knex.raw(`CREATE FUNCTION alignment_link_device_types() RETURNS INTEGER
    LANGUAGE plpgsql AS $$
    DECLARE
      linked INTEGER;
    BEGIN
      UPDATE device_table t SET device_type_id = m.type_id
        FROM (SELECT id, alignment_match_device_type("deviceType") AS type_id
                FROM device_table WHERE device_type_id IS NULL) m
       WHERE t.id = m.id AND m.type_id IS NOT NULL;
      GET DIAGNOSTICS linked = ROW_COUNT;
      RETURN linked;
    END $$`);
  await knex.raw('SELECT alignment_link_device_types()');

  await knex.raw(`CREATE FUNCTION alignment_device_type_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.device_type_id IS NULL THEN
          NEW.device_type_id := alignment_match_device_type(NEW."deviceType");
        END IF;
      ELSIF NEW."deviceType" IS DISTINCT FROM OLD."deviceType"
            AND NEW.device_type_id IS NOT DISTINCT FROM OLD.device_type_id THEN
        NEW.device_type_id := alignment_match_device_type(NEW."deviceType");
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw(`CREATE TRIGGER alignment_device_type_sync
    BEFORE INSERT OR UPDATE OF "deviceType" ON device_table
    FOR EACH ROW EXECUTE FUNCTION alignment_device_type_sync()`);
  await knex.raw(`CREATE FUNCTION alignment_device_types_relink() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM alignment_link_device_types();
      RETURN NULL;
    END $$`);
  await knex.raw(`CREATE TRIGGER alignment_device_types_relink
    AFTER INSERT OR UPDATE OF name OR DELETE ON device_types
    FOR EACH STATEMENT EXECUTE FUNCTION alignment_device_types_relink()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER alignment_device_types_relink ON device_types');
  await knex.raw('DROP FUNCTION alignment_device_types_relink()');
  await knex.raw('DROP TRIGGER alignment_device_type_sync ON device_table');
  await knex.raw('DROP FUNCTION alignment_device_type_sync()');
  await knex.raw('DROP FUNCTION alignment_link_device_types()');
  await knex.raw('DROP FUNCTION alignment_match_device_type(TEXT)');
  await knex.raw('DROP INDEX ix_device_table_device_type_id');
  await knex.raw('ALTER TABLE device_table DROP COLUMN device_type_id');
}
