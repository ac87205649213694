/**
 * Schema alignment, bookings: a canonical status, the conflict index, and a database-enforced
 * rule that two confirmed, non-collaborator bookings of one device never overlap.
 *
 * - `status_canonical` is a STORED generated column over the legacy `status` (which is never
 *   rewritten: the legacy backend compares against its own spellings). Case, surrounding and
 *   inner whitespace, `-`/`_` and the spelling `canceled` are normalised; anything else is NULL.
 * - `legacy_overlap` marks every booking that already overlapped another one when this ran, so
 *   the exclusion constraint can exist; such rows are reported and otherwise left as they are.
 * - `booking_table_no_confirmed_overlap` (btree_gist) rejects overlapping `[start, end)` windows
 *   with SQLSTATE 23P01. Its WHERE keeps inverted legacy windows (end before start) out of the
 *   index, so `tsrange` is never built from them.
 * - A guard trigger gives the same 23P01 when a new or changed booking overlaps a marked legacy
 *   booking (marked rows are outside the constraint, so without it they would be fair game).
 *
 * Adding the generated column rewrites booking_table under an ACCESS EXCLUSIVE lock (the
 * legacy backend waits, it does not fail); see docs/schema-alignment.md for the timing.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

/** Marks an extension this step created, so down() drops it only then. */
const EXTENSION_MARK = 'provdb-worker: created by schema alignment (bookings)';

export async function up(knex: Knex): Promise<void> {
  const { rows } = await knex.raw<{ rows: unknown[] }>(
    `SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'`,
  );
  if (rows.length === 0) {
    await knex.raw('CREATE EXTENSION btree_gist');
    await knex.raw(`COMMENT ON EXTENSION btree_gist IS '${EXTENSION_MARK}'`);
  }

  await knex.raw(String.raw`CREATE FUNCTION alignment_booking_status(status TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE regexp_replace(lower(btrim(status, E' \t\r\n')), '[\s_-]+', '_', 'g')
      WHEN 'pending' THEN 'pending'
      WHEN 'pending_approval' THEN 'pending_approval'
      WHEN 'confirmed' THEN 'confirmed'
      WHEN 'rejected' THEN 'rejected'
      WHEN 'cancelled' THEN 'cancelled'
      WHEN 'canceled' THEN 'cancelled'
      WHEN 'completed' THEN 'completed'
    END $$`);
  await knex.raw(`COMMENT ON FUNCTION alignment_booking_status(TEXT) IS
    'provdb-worker: canonical booking status (pending, pending_approval, confirmed, rejected, cancelled, completed) of a legacy status string; NULL when unrecognised'`);

  // One statement, so the table is rewritten once (the boolean has a constant default: no rewrite).
  await knex.raw(`ALTER TABLE booking_table
    ADD COLUMN status_canonical TEXT GENERATED ALWAYS AS (alignment_booking_status(status)) STORED,
    ADD COLUMN legacy_overlap BOOLEAN NOT NULL DEFAULT false`);
  await knex.raw(
    'CREATE INDEX ix_booking_table_device_window ON booking_table (device_id, start_time, end_time)',
  );

  // Overlaps in one sorted pass per device: a booking overlaps an earlier-starting one when it
  // starts before the latest end seen so far, and a later-starting one when the next start (the
  // earliest of the later ones, given the order) comes before its own end. Same conditions as
  // the constraint below. (A min() over a frame running to UNBOUNDED FOLLOWING would be
  // quadratic per device.)
  await knex.raw(`WITH ordered AS (
      SELECT booking_id, start_time, end_time,
             max(end_time) OVER before_me AS latest_end_before,
             lead(start_time) OVER by_start AS earliest_start_after
        FROM booking_table
       WHERE status_canonical = 'confirmed' AND NOT is_collaborator AND end_time > start_time
      WINDOW before_me AS (PARTITION BY device_id ORDER BY start_time, booking_id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
             by_start AS (PARTITION BY device_id ORDER BY start_time, booking_id))
    UPDATE booking_table b SET legacy_overlap = true
      FROM ordered o
     WHERE b.booking_id = o.booking_id
       AND (o.latest_end_before > o.start_time OR o.earliest_start_after < o.end_time)`);
  await knex.raw(`CREATE INDEX ix_booking_table_legacy_overlap ON booking_table (device_id, start_time, end_time)
    WHERE legacy_overlap`);

  await knex.raw(`ALTER TABLE booking_table ADD CONSTRAINT booking_table_no_confirmed_overlap
    EXCLUDE USING gist (device_id WITH =, tsrange(start_time, end_time, '[)') WITH &&)
    WHERE (status_canonical = 'confirmed' AND NOT is_collaborator AND NOT legacy_overlap
           AND end_time > start_time)`);

  // Generated columns are computed after BEFORE triggers, so the guard derives the status itself.
  await knex.raw(`CREATE FUNCTION alignment_booking_guard_legacy_overlap() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      other INTEGER;
    BEGIN
      IF NEW.legacy_overlap OR NEW.is_collaborator OR NOT (NEW.end_time > NEW.start_time)
         OR alignment_booking_status(NEW.status) IS DISTINCT FROM 'confirmed' THEN
        RETURN NEW;
      END IF;
      SELECT b.booking_id INTO other
        FROM booking_table b
       WHERE b.legacy_overlap AND b.device_id = NEW.device_id
         AND b.booking_id <> NEW.booking_id
         AND b.status_canonical = 'confirmed' AND NOT b.is_collaborator AND b.end_time > b.start_time
         AND b.start_time < NEW.end_time AND NEW.start_time < b.end_time
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'booking of device % from % to % overlaps confirmed booking %',
            NEW.device_id, NEW.start_time, NEW.end_time, other
          USING ERRCODE = 'exclusion_violation',
                CONSTRAINT = 'booking_table_no_confirmed_overlap',
                TABLE = 'booking_table',
                HINT = 'booking ' || other || ' is a legacy overlap (legacy_overlap = true); resolve it first';
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw(`CREATE TRIGGER alignment_booking_guard_legacy_overlap
    BEFORE INSERT OR UPDATE OF device_id, start_time, end_time, status, is_collaborator, legacy_overlap
    ON booking_table FOR EACH ROW EXECUTE FUNCTION alignment_booking_guard_legacy_overlap()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER alignment_booking_guard_legacy_overlap ON booking_table');
  await knex.raw('DROP FUNCTION alignment_booking_guard_legacy_overlap()');
  await knex.raw('ALTER TABLE booking_table DROP CONSTRAINT booking_table_no_confirmed_overlap');
  await knex.raw('DROP INDEX ix_booking_table_legacy_overlap');
  await knex.raw('DROP INDEX ix_booking_table_device_window');
  await knex.raw('ALTER TABLE booking_table DROP COLUMN status_canonical, DROP COLUMN legacy_overlap');
  await knex.raw('DROP FUNCTION alignment_booking_status(TEXT)');
  const { rows } = await knex.raw<{ rows: Array<{ mark: string | null }> }>(
    `SELECT obj_description(oid, 'pg_extension') AS mark FROM pg_extension WHERE extname = 'btree_gist'`,
  );
  if (rows[0]?.mark === EXTENSION_MARK) await knex.raw('DROP EXTENSION btree_gist');
}
