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

function migrationFile(name: string): string {
  return name.endsWith('.ts') ? name : `${name}.ts`;
}

/**
 * Applies pending migrations in order up to and including `name` (with or without `.ts`), one
 * batch each, and leaves later ones pending. Used to stop at a known schema (e.g. the legacy
 * baseline) before planting data or benchmarking a later step.
 */
export async function migrateTo(knex: Knex, name: string): Promise<MigrateResult> {
  const target = migrationFile(name);
  const { completed, pending } = await migrationStatus(knex);
  if (completed.includes(target)) return { batch: 0, files: [] };
  const index = pending.indexOf(target);
  if (index < 0) throw new Error(`no migration named ${target} in ${MIGRATIONS_DIR}`);
  const files: string[] = [];
  let batch = 0;
  for (const file of pending.slice(0, index + 1)) {
    const [b, done] = await knex.migrate.up({ ...migrationConfig, name: file });
    batch = b;
    files.push(...done);
  }
  return { batch, files };
}

/**
 * Rolls migrations back one at a time, newest first, until `name` is the newest applied one.
 * Returns the rolled-back files in the order they were undone.
 */
export async function rollbackTo(knex: Knex, name: string): Promise<MigrateResult> {
  const target = migrationFile(name);
  const { completed } = await migrationStatus(knex);
  const index = completed.indexOf(target);
  if (index < 0) throw new Error(`migration ${target} is not applied`);
  const files: string[] = [];
  for (const file of completed.slice(index + 1).reverse()) {
    await knex.migrate.down({ ...migrationConfig, name: file });
    files.push(file);
  }
  return { batch: 0, files };
}
