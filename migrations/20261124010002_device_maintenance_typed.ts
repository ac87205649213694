/**
 * Schema alignment, maintenance windows: `device_table.maintenance_starts_at` and
 * `maintenance_ends_at` (timestamptz), parsed from the legacy `maintenance_start` /
 * `maintenance_end` strings, which stay as they are.
 *
 * Parsing lives in SQL (`alignment_parse_maintenance_ts`) so the backfill and the trigger that
 * keeps the columns current for the legacy backend's later writes parse identically, whatever
 * the session's TimeZone or DateStyle. Accepted, and nothing else (surrounding whitespace
 * ignored):
 *   YYYY-MM-DD
 *   YYYY-MM-DD{T| }HH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM]   (no offset means UTC)
 *   MM/DD/YYYY HH:MM                                        (month first, UTC)
 * A value that is not a real date and time (Feb 30, hour 25, minute 60) does not parse.
 * Fractions beyond microseconds are truncated.
 *
 * `alignment_maintenance_window(start, end)` classifies a row (parsed, partial, empty,
 * unparseable, end_before_start) and gives the typed values: both NULL unless the row is
 * `parsed` (both sides parse, end after start) or `partial` (one side blank, the other parses:
 * that side is kept).
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

// No question marks anywhere in this SQL: the pg driver of knex reads `?` as a placeholder.
const PARSE_FUNCTION = String.raw`CREATE FUNCTION alignment_parse_maintenance_ts(value TEXT)
  RETURNS TIMESTAMPTZ LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v TEXT := btrim(value, E' \t\r\n');
  m TEXT[];
  y INTEGER; mo INTEGER; d INTEGER; h INTEGER; mi INTEGER;
  sec NUMERIC := 0;
  offset_minutes INTEGER := 0;
  days_in_month INTEGER;
BEGIN
  IF v IS NULL OR v = '' THEN
    RETURN NULL;
  END IF;
  -- ISO 8601: date, optionally T/space time, optional seconds and fraction, optional Z/offset.
  m := regexp_match(v, '^(\d{4})-(\d{2})-(\d{2})([T ](\d{2}):(\d{2})(:(\d{2})(\.\d+){0,1}){0,1}(Z|[+-]\d{2}:\d{2}){0,1}){0,1}$');
  IF m IS NOT NULL THEN
    y := m[1]::INTEGER; mo := m[2]::INTEGER; d := m[3]::INTEGER;
    h := coalesce(m[5], '0')::INTEGER; mi := coalesce(m[6], '0')::INTEGER;
    sec := coalesce(m[8], '0')::NUMERIC + coalesce(('0' || m[9])::NUMERIC, 0);
    IF m[10] IS NOT NULL AND m[10] <> 'Z' THEN
      IF substr(m[10], 2, 2)::INTEGER > 14 OR substr(m[10], 5, 2)::INTEGER > 59 THEN
        RETURN NULL;
      END IF;
      offset_minutes := substr(m[10], 2, 2)::INTEGER * 60 + substr(m[10], 5, 2)::INTEGER;
      IF substr(m[10], 1, 1) = '-' THEN
        offset_minutes := -offset_minutes;
      END IF;
    END IF;
  ELSE
    -- US style, month first, always with a time of day.
    m := regexp_match(v, '^(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})$');
    IF m IS NULL THEN
      RETURN NULL;
    END IF;
    mo := m[1]::INTEGER; d := m[2]::INTEGER; y := m[3]::INTEGER;
    h := m[4]::INTEGER; mi := m[5]::INTEGER;
  END IF;
  -- Check every field rather than letting make_timestamp raise: no subtransactions, and
  -- hour 24 (which Postgres would accept as midnight) is rejected like hour 25.
  IF y < 1 OR mo < 1 OR mo > 12 OR h > 23 OR mi > 59 OR sec >= 60 THEN
    RETURN NULL;
  END IF;
  days_in_month := CASE
    WHEN mo = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END
    WHEN mo IN (4, 6, 9, 11) THEN 30
    ELSE 31 END;
  IF d < 1 OR d > days_in_month THEN
    RETURN NULL;
  END IF;
  -- Local time minus its offset is UTC; all arithmetic on timestamp without time zone.
  RETURN (make_timestamp(y, mo, d, h, mi, trunc(sec, 6)::DOUBLE PRECISION)
          - make_interval(mins => offset_minutes)) AT TIME ZONE 'UTC';
END $$`;

const WINDOW_FUNCTION = String.raw`CREATE FUNCTION alignment_maintenance_window(
    start_value TEXT, end_value TEXT,
    OUT state TEXT, OUT starts_at TIMESTAMPTZ, OUT ends_at TIMESTAMPTZ)
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  start_blank BOOLEAN := coalesce(btrim(start_value, E' \t\r\n'), '') = '';
  end_blank BOOLEAN := coalesce(btrim(end_value, E' \t\r\n'), '') = '';
  s TIMESTAMPTZ := alignment_parse_maintenance_ts(start_value);
  e TIMESTAMPTZ := alignment_parse_maintenance_ts(end_value);
BEGIN
  IF start_blank AND end_blank THEN
    state := 'empty';
  ELSIF (NOT start_blank AND s IS NULL) OR (NOT end_blank AND e IS NULL) THEN
    state := 'unparseable';
  ELSIF start_blank OR end_blank THEN
    state := 'partial'; starts_at := s; ends_at := e;
  ELSIF e <= s THEN
    state := 'end_before_start';
  ELSE
    state := 'parsed'; starts_at := s; ends_at := e;
  END IF;
END $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(PARSE_FUNCTION);
  await knex.raw(`COMMENT ON FUNCTION alignment_parse_maintenance_ts(TEXT) IS
    'provdb-worker: a legacy maintenance string as timestamptz, NULL when blank or not one of the accepted formats (docs/schema-alignment.md)'`);
  await knex.raw(WINDOW_FUNCTION);
  await knex.raw(`ALTER TABLE device_table
    ADD COLUMN maintenance_starts_at TIMESTAMPTZ,
    ADD COLUMN maintenance_ends_at TIMESTAMPTZ`);
  await knex.raw(`UPDATE device_table t
       SET maintenance_starts_at = w.starts_at, maintenance_ends_at = w.ends_at
      FROM device_table s
      CROSS JOIN LATERAL alignment_maintenance_window(s.maintenance_start, s.maintenance_end) w
     WHERE t.id = s.id AND (w.starts_at IS NOT NULL OR w.ends_at IS NOT NULL)`);

  // Legacy writes keep the typed columns current; a write that sets the typed columns itself
  // (a future backend) wins over the strings.
  await knex.raw(`CREATE FUNCTION alignment_device_maintenance_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      w RECORD;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.maintenance_starts_at IS NOT NULL OR NEW.maintenance_ends_at IS NOT NULL THEN
          RETURN NEW;
        END IF;
      ELSIF (NEW.maintenance_start IS NOT DISTINCT FROM OLD.maintenance_start
             AND NEW.maintenance_end IS NOT DISTINCT FROM OLD.maintenance_end)
         OR NEW.maintenance_starts_at IS DISTINCT FROM OLD.maintenance_starts_at
         OR NEW.maintenance_ends_at IS DISTINCT FROM OLD.maintenance_ends_at THEN
        RETURN NEW;
      END IF;
      SELECT * INTO w FROM alignment_maintenance_window(NEW.maintenance_start, NEW.maintenance_end);
      NEW.maintenance_starts_at := w.starts_at;
      NEW.maintenance_ends_at := w.ends_at;
      RETURN NEW;
    END $$`);
  await knex.raw(`CREATE TRIGGER alignment_device_maintenance_sync
    BEFORE INSERT OR UPDATE OF maintenance_start, maintenance_end ON device_table
    FOR EACH ROW EXECUTE FUNCTION alignment_device_maintenance_sync()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER alignment_device_maintenance_sync ON device_table');
  await knex.raw('DROP FUNCTION alignment_device_maintenance_sync()');
  await knex.raw(
    'ALTER TABLE device_table DROP COLUMN maintenance_starts_at, DROP COLUMN maintenance_ends_at',
  );
  await knex.raw('DROP FUNCTION alignment_maintenance_window(TEXT, TEXT)');
  await knex.raw('DROP FUNCTION alignment_parse_maintenance_ts(TEXT)');
}
