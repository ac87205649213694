/**
 * Schema alignment, step 0: the quarantine every later alignment step writes to before it
 * deletes or rewrites a legacy row, and the one name-normalising rule they all share.
 *
 * `alignment_quarantine` keeps each affected row whole (as JSON) with its table, primary key and
 * the reason; the step that quarantined it restores it from here in its `down()`.
 * `alignment_normalize_name(text)` is "trimmed, lower-cased, blank means none": polatis names,
 * device type names and tags are compared through it.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE alignment_quarantine (
    id BIGSERIAL PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_pk JSONB NOT NULL,
    reason TEXT NOT NULL,
    row_data JSONB NOT NULL,
    migration TEXT NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  await knex.raw(
    'CREATE INDEX ix_alignment_quarantine_table_reason ON alignment_quarantine (table_name, reason)',
  );
  await knex.raw('CREATE INDEX ix_alignment_quarantine_migration ON alignment_quarantine (migration)');
  await knex.raw(`COMMENT ON TABLE alignment_quarantine IS
    'provdb-worker: legacy rows that schema alignment deleted or rewrote, kept whole (row_data) before the change; down migrations restore them from here'`);

  // Whitespace rather than only spaces: legacy values were typed into forms and pasted.
  await knex.raw(String.raw`CREATE FUNCTION alignment_normalize_name(value TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT nullif(lower(btrim(value, E' \t\r\n')), '') $$`);
  await knex.raw(`COMMENT ON FUNCTION alignment_normalize_name(TEXT) IS
    'provdb-worker: trimmed, lower-cased name; NULL when blank. How alignment compares polatis names, device types and tags'`);
}

export async function down(knex: Knex): Promise<void> {
  const { rows } = await knex.raw<{ rows: Array<{ n: number }> }>(
    'SELECT count(*)::int AS n FROM alignment_quarantine',
  );
  const left = rows[0]?.n ?? 0;
  if (left > 0) {
    // Later steps restore and remove their own rows; rows still here would be lost.
    throw new Error(
      `alignment_quarantine still holds ${left} row(s): roll back the alignment steps that wrote them first`,
    );
  }
  await knex.raw('DROP FUNCTION alignment_normalize_name(TEXT)');
  await knex.raw('DROP TABLE alignment_quarantine');
}
