import type { Knex } from 'knex';
import { migrationConfig } from '../../src/db/migrator';

/** The baseline migration's file name, as knex records it. */
export const BASELINE = '20261124000000_legacy_baseline.ts';

/** The project's bookkeeping tables once the baseline has run. */
export const BOOKKEEPING_TABLES = [
  'provdb_worker_baseline',
  'provdb_worker_migrations',
  'provdb_worker_migrations_lock',
];

/**
 * Applies the baseline alone: later migrations (schema alignment) change legacy tables on
 * purpose, so tests of what the baseline does stop right after it.
 */
export async function migrateBaseline(knex: Knex): Promise<void> {
  await knex.migrate.up({ ...migrationConfig, name: BASELINE });
}

/** The legacy tables the baseline recorded as created by itself. */
export async function createdByBaseline(knex: Knex): Promise<string[]> {
  const rows = await knex('provdb_worker_baseline').select<Array<{ table_name: string }>>('table_name');
  return rows.map((r) => r.table_name).sort();
}
