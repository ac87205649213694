/**
 * Schema alignment, tags: the scheduler's string tags (`device_tags.tag`) join the inventory's
 * tag vocabulary (`tags`).
 *
 * - Every scheduler tag exists in `tags` under its normalised (trimmed, lower-cased) name. An
 *   existing tag whose name normalises the same is reused (the one named exactly so first, then
 *   the oldest); otherwise the tag is created and recorded in `alignment_created_tags`.
 * - `device_tags.tag_id` -> `tags.id`, unique per (device_id, tag_id). Rows repeating a
 *   (device, normalised tag) pair are moved to `alignment_quarantine` (the oldest row stays).
 *   Blank tags get no tag_id.
 * - A trigger does the same for the legacy backend's later writes; a duplicate tag insert now
 *   fails with 23505 on ux_device_tags_device_id_tag_id. Deleting a tag sets tag_id to NULL.
 *
 * down() puts the quarantined rows back, drops the tags alignment created (unless the inventory
 * has since used them) and resets the tags id sequence when nothing else has used it since.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

const MIGRATION = '20261124010005_device_tags_normalised';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE alignment_created_tags (
    tag_id INTEGER PRIMARY KEY REFERENCES tags (id) ON DELETE CASCADE,
    origin TEXT NOT NULL CHECK (origin IN ('migration', 'trigger')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  await knex.raw(`COMMENT ON TABLE alignment_created_tags IS
    'provdb-worker: tags created by schema alignment for scheduler tag strings (by the migration or, later, by the device_tags trigger)'`);

  // Quarantine first, while device_tags still has only its legacy columns.
  await knex.raw(
    `WITH ranked AS (
       SELECT g.*, row_number() OVER (
                PARTITION BY g.device_id, coalesce(alignment_normalize_name(g.tag), '')
                ORDER BY g.created_at, g.id) AS n
         FROM device_tags g)
     INSERT INTO alignment_quarantine (table_name, row_pk, reason, row_data, migration)
     SELECT 'device_tags', jsonb_build_object('id', r.id), 'duplicate_device_tag',
            to_jsonb(r) - 'n', :migration
       FROM ranked r WHERE r.n > 1 ORDER BY r.id`,
    { migration: MIGRATION },
  );
  await knex.raw(
    `DELETE FROM device_tags WHERE id IN (
       SELECT (row_pk ->> 'id')::INTEGER FROM alignment_quarantine
        WHERE migration = :migration AND table_name = 'device_tags')`,
    { migration: MIGRATION },
  );

  await knex.raw(
    `WITH wanted AS (
       SELECT DISTINCT alignment_normalize_name(g.tag) AS name FROM device_tags g
        WHERE alignment_normalize_name(g.tag) IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM tags t
                           WHERE alignment_normalize_name(t.name) = alignment_normalize_name(g.tag))),
     created AS (
       INSERT INTO tags (name, created_at)
       SELECT name, now() AT TIME ZONE 'UTC' FROM wanted ORDER BY name
       RETURNING id)
     INSERT INTO alignment_created_tags (tag_id, origin) SELECT id, 'migration' FROM created`,
  );

  await knex.raw(`ALTER TABLE device_tags ADD COLUMN tag_id INTEGER
    CONSTRAINT device_tags_tag_id_fkey REFERENCES tags (id) ON DELETE SET NULL`);
  await knex.raw(`UPDATE device_tags g SET tag_id = t.id
      FROM (SELECT DISTINCT ON (alignment_normalize_name(name)) alignment_normalize_name(name) AS norm, id
              FROM tags
             ORDER BY alignment_normalize_name(name), (name = alignment_normalize_name(name)) DESC, id) t
     WHERE alignment_normalize_name(g.tag) = t.norm`);
  await knex.raw('CREATE UNIQUE INDEX ux_device_tags_device_id_tag_id ON device_tags (device_id, tag_id)');
  await knex.raw('CREATE INDEX ix_device_tags_tag_id ON device_tags (tag_id)');

  await knex.raw(`CREATE FUNCTION alignment_tag_id(tag TEXT) RETURNS INTEGER
    LANGUAGE plpgsql AS $$
    DECLARE
      norm TEXT := alignment_normalize_name(tag);
      found_id INTEGER;
    BEGIN
      IF norm IS NULL THEN
        RETURN NULL;
      END IF;
      SELECT id INTO found_id FROM tags WHERE alignment_normalize_name(name) = norm
       ORDER BY (name = norm) DESC, id LIMIT 1;
      IF found_id IS NOT NULL THEN
        RETURN found_id;
      END IF;
      -- A concurrent writer may create the same tag: let it win and use its row.
      INSERT INTO tags (name, created_at) VALUES (norm, now() AT TIME ZONE 'UTC')
        ON CONFLICT (name) DO NOTHING RETURNING id INTO found_id;
      IF found_id IS NULL THEN
        SELECT id INTO found_id FROM tags WHERE name = norm;
      ELSE
        INSERT INTO alignment_created_tags (tag_id, origin) VALUES (found_id, 'trigger');
      END IF;
      RETURN found_id;
    END $$`);
  await knex.raw(`COMMENT ON FUNCTION alignment_tag_id(TEXT) IS
    'provdb-worker: the tags.id of a scheduler tag string by its normalised name, creating the tag when missing; NULL for a blank tag'`);
  await knex.raw(`CREATE FUNCTION alignment_device_tag_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.tag_id IS NULL THEN
          NEW.tag_id := alignment_tag_id(NEW.tag);
        END IF;
      ELSIF NEW.tag IS DISTINCT FROM OLD.tag AND NEW.tag_id IS NOT DISTINCT FROM OLD.tag_id THEN
        NEW.tag_id := alignment_tag_id(NEW.tag);
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw(`CREATE TRIGGER alignment_device_tag_sync
    BEFORE INSERT OR UPDATE OF tag ON device_tags
    FOR EACH ROW EXECUTE FUNCTION alignment_device_tag_sync()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER alignment_device_tag_sync ON device_tags');
  await knex.raw('DROP FUNCTION alignment_device_tag_sync()');
  await knex.raw('DROP FUNCTION alignment_tag_id(TEXT)');
  await knex.raw('DROP INDEX ix_device_tags_tag_id');
  await knex.raw('DROP INDEX ux_device_tags_device_id_tag_id');
  await knex.raw('ALTER TABLE device_tags DROP COLUMN tag_id');

  await knex.raw(
    `INSERT INTO device_tags
     SELECT (jsonb_populate_record(NULL::device_tags, q.row_data)).*
       FROM alignment_quarantine q
      WHERE q.migration = :migration AND q.table_name = 'device_tags'
      ORDER BY q.id`,
    { migration: MIGRATION },
  );
  await knex.raw(`DELETE FROM alignment_quarantine WHERE migration = :migration`, { migration: MIGRATION });

  // The first tag alignment created took the next value of the id sequence; put the sequence
  // back where it was then, unless a later tag (the inventory's own) holds a higher id.
  const { rows } = await knex.raw<{ rows: Array<{ first: number | null }> }>(
    'SELECT min(tag_id) AS first FROM alignment_created_tags',
  );
  const first = rows[0]?.first ?? null;
  await knex.raw(`DELETE FROM tags t USING alignment_created_tags c
    WHERE t.id = c.tag_id AND NOT EXISTS (SELECT 1 FROM inventory_device_tags i WHERE i.tag_id = t.id)`);
  if (first !== null) {
    await knex.raw(
      `SELECT setval(pg_get_serial_sequence('tags', 'id'), greatest(:first::BIGINT - 1, 1), :first::BIGINT > 1)
        WHERE NOT EXISTS (SELECT 1 FROM tags WHERE id >= :first::INTEGER)`,
      { first },
    );
  }
  await knex.raw('DROP TABLE alignment_created_tags');
}
