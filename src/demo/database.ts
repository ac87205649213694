/**
 * The demo's scratch database. The demo only ever writes to a database it created itself:
 *
 * - its name must start with `provdb_demo` (so it cannot be aimed at provdb by a slip);
 * - when the demo creates it, it marks it with a COMMENT ON DATABASE;
 * - a later run drops and recreates a marked database (a fresh lab each time), and refuses, without
 *   touching it, a database of that name that carries no mark: someone else made it.
 *
 * The server is DATABASE_URL's; the demo connects to its `postgres` database to create and drop.
 */
import { createKnex, ident, withDatabase } from '../db/knex';

export const DEMO_DATABASE_PREFIX = 'provdb_demo';
export const DEMO_DATABASE_DEFAULT = 'provdb_demo';
export const DEMO_DATABASE_MARK =
  'provdb-worker demo scratch database: created by `provdb-worker demo`, dropped and recreated by each run';

/** A demo database request that would touch something that is not the demo's own. */
export class DemoDatabaseError extends Error {
  override readonly name = 'DemoDatabaseError';
}

export function validateDemoDatabaseName(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name) || !name.startsWith(DEMO_DATABASE_PREFIX)) {
    throw new DemoDatabaseError(
      `--database ${JSON.stringify(name)}: the demo's database name must start with "${DEMO_DATABASE_PREFIX}" ` +
        'and use lower-case letters, digits and "_" (at most 63), e.g. provdb_demo or provdb_demo_2',
    );
  }
}

export interface DemoDatabase {
  name: string;
  url: string;
  /** An earlier demo's database of that name was dropped first. */
  replaced: boolean;
}

/** Creates the demo's database (recreating an earlier demo's); never touches an unmarked one. */
export async function prepareDemoDatabase(serverUrl: string, name: string): Promise<DemoDatabase> {
  validateDemoDatabaseName(name);
  const admin = createKnex(withDatabase(serverUrl, 'postgres'), {
    poolMax: 1,
    applicationName: 'provdb-worker-demo',
  });
  try {
    const { rows } = await admin.raw<{ rows: Array<{ mark: string | null }> }>(
      `SELECT shobj_description(oid, 'pg_database') AS mark FROM pg_database WHERE datname = ?`,
      [name],
    );
    const existing = rows[0];
    if (existing && existing.mark !== DEMO_DATABASE_MARK) {
      throw new DemoDatabaseError(
        `database ${name} already exists and was not created by the demo, so the demo leaves it alone; ` +
          'choose another name with --database (it must start with provdb_demo)',
      );
    }
    if (existing) {
      try {
        await admin.raw(`DROP DATABASE ${ident(name)}`);
      } catch (error) {
        if ((error as { code?: string }).code === '55006') {
          throw new DemoDatabaseError(
            `database ${name} (from an earlier demo) is in use by another session, e.g. a demo still ` +
              'running or a psql; close it, or choose another name with --database',
            { cause: error },
          );
        }
        throw error;
      }
    }
    await admin.raw(`CREATE DATABASE ${ident(name)}`);
    await admin.raw(`COMMENT ON DATABASE ${ident(name)} IS '${DEMO_DATABASE_MARK.replace(/'/g, "''")}'`);
    return { name, url: withDatabase(serverUrl, name), replaced: existing !== undefined };
  } finally {
    await admin.destroy();
  }
}
