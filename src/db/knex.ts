/**
 * The one place a knex instance is built. Connections are created by the entry point (CLI,
 * tests) and passed down; nothing connects at import time.
 */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { redactUrl } from '../config';

const PG_INT8 = 20;
const PG_TIMESTAMP = 1114;

let parsersInstalled = false;

/**
 * The legacy backend writes UTC into `timestamp without time zone` columns. pg would read them
 * as local time and write Date parameters as local time with an offset (which Postgres drops
 * for `timestamp without time zone`); read and write them as UTC instead, whatever the host's
 * TZ. Counts (int8) come back as numbers: every int8 this schema produces (counts, sums of
 * seconds) is far below 2^53.
 */
function installTypeParsers(): void {
  if (parsersInstalled) return;
  parsersInstalled = true;
  pg.defaults.parseInputDatesAsUTC = true;
  pg.types.setTypeParser(PG_TIMESTAMP, (value: string) => new Date(`${value.replace(' ', 'T')}Z`));
  pg.types.setTypeParser(PG_INT8, (value: string) => Number(value));
}

export interface KnexOptions {
  /** Largest number of pooled connections. */
  poolMax?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /** Where knex's own warnings go (lost connections, ...); console by default. */
  log?: Knex.Logger;
}

export function createKnex(databaseUrl: string, options: KnexOptions = {}): Knex {
  installTypeParsers();
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: databaseUrl,
      application_name: options.applicationName ?? 'provdb-worker',
      // Session time zone UTC: `now()` and `timestamptz` values converted to `timestamp` mean UTC.
      options: '-c TimeZone=UTC',
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
    acquireConnectionTimeout: 10_000,
    ...(options.log ? { log: options.log } : {}),
  });
}

/** The database name of a Postgres URL, for messages and for creating scratch databases. */
export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`${redactUrl(databaseUrl)} names no database`);
  return name;
}

/** The same server with another database name (e.g. `postgres`, to create or drop one). */
export function withDatabase(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
