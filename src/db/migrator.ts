import path from 'node:path';
import type { Knex } from 'knex';

/** Migration bookkeeping tables; named after the project so `--to-zero` can remove them too. */
export const MIGRATIONS_TABLE = 'provdb_worker_migrations';
export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

export const migrationConfig: Knex.MigratorConfig = {
  directory: MIGRATIONS_DIR,
  tableName: MIGRATIONS_TABLE,
  extension: 'ts',
  loadExtensions: ['.ts'],
};

export interface MigrateResult {
  batch: number;
  files: string[];
}

export async function migrateLatest(knex: Knex): Promise<MigrateResult> {
  const [batch, files] = await knex.migrate.latest(migrationConfig);
  return { batch, files };
}

export async function migrateRollback(knex: Knex, all = false): Promise<MigrateResult> {
  const [batch, files] = await knex.migrate.rollback(migrationConfig, all);
  return { batch, files };
}

/** Rolls every migration back, then removes knex's own bookkeeping tables. */
export async function migrateToZero(knex: Knex): Promise<MigrateResult> {
  const result = await migrateRollback(knex, true);
  await knex.schema.dropTableIfExists(`${MIGRATIONS_TABLE}_lock`);
  await knex.schema.dropTableIfExists(MIGRATIONS_TABLE);
  return result;
}

export async function migrationStatus(knex: Knex): Promise<{ completed: string[]; pending: string[] }> {
  const [completed, pending] = (await knex.migrate.list(migrationConfig)) as [
    Array<{ name: string }>,
    Array<{ file: string }>,
  ];
  return { completed: completed.map((m) => m.name), pending: pending.map((m) => m.file) };
}
