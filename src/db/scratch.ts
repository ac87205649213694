import { createKnex, databaseName, ident, withDatabase } from './knex';

/**
 * Creates a database on the server of `serverUrl` if it does not exist yet, connecting to the
 * server's `postgres` database to do so. Returns the URL of the new database.
 */
export async function ensureDatabase(
  serverUrl: string,
  name: string,
): Promise<{ url: string; created: boolean }> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`database name ${JSON.stringify(name)} must be lower-case letters, digits and "_"`);
  }
  const admin = createKnex(withDatabase(serverUrl, 'postgres'), { poolMax: 1 });
  try {
    const { rows } = await admin.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_database WHERE datname = ?', [
      name,
    ]);
    if (rows.length === 0) await admin.raw(`CREATE DATABASE ${ident(name)}`);
    return { url: withDatabase(serverUrl, name), created: rows.length === 0 };
  } finally {
    await admin.destroy();
  }
}

export { databaseName };
