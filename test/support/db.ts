import type { Knex } from 'knex';
import { createKnex, ident, withDatabase } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrator';
import { RUN_ID, TEMPLATE_DB, TEST_PG_URL } from './env';

let counter = 0;

export interface TestDatabase {
  name: string;
  url: string;
  knex: Knex;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (knex: Knex) => Promise<T>): Promise<T> {
  const knex = createKnex(TEST_PG_URL, { poolMax: 1, applicationName: 'provdb-worker-test-admin' });
  try {
    return await fn(knex);
  } finally {
    await knex.destroy();
  }
}

async function create(template: string | null): Promise<TestDatabase> {
  counter += 1;
  const name = `provdb_test_${RUN_ID}_${process.pid}_${counter}`;
  await admin((k) =>
    k.raw(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ''}`),
  );
  const url = withDatabase(TEST_PG_URL, name);
  const knex = createKnex(url, { applicationName: 'provdb-worker-test' });
  let dropped = false;
  return {
    name,
    url,
    knex,
    async drop() {
      if (dropped) return;
      dropped = true;
      await knex.destroy();
      await admin((k) => k.raw(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`));
    },
  };
}

/** A fresh database with every migration applied (a copy of this run's template). */
export function migratedDatabase(): Promise<TestDatabase> {
  return create(TEMPLATE_DB);
}

/** A fresh, empty database (for migration tests). */
export function emptyDatabase(): Promise<TestDatabase> {
  return create(null);
}

/** Creates and migrates this run's template database; called once by the global setup. */
export async function createTemplate(): Promise<void> {
  await admin((k) => k.raw(`CREATE DATABASE ${ident(TEMPLATE_DB)}`));
  const knex = createKnex(withDatabase(TEST_PG_URL, TEMPLATE_DB), { poolMax: 1 });
  try {
    await migrateLatest(knex);
  } finally {
    // Nothing may stay connected to a template while it is cloned.
    await knex.destroy();
  }
}

export async function dropTemplate(): Promise<void> {
  await admin((k) => k.raw(`DROP DATABASE IF EXISTS ${ident(TEMPLATE_DB)} WITH (FORCE)`));
}
