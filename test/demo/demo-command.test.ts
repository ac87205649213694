import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Knex } from 'knex';
import { createKnex, ident, withDatabase } from '../../src/db/knex';
import { DEMO_DATABASE_MARK } from '../../src/demo/database';
import { RUN_ID, TEST_PG_URL, TEST_REDIS_URL } from '../support/env';

const BIN = path.resolve(__dirname, '../../bin/provdb-worker.cjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function demo(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'demo', ...args],
      {
        env: {
          ...process.env,
          LOG_LEVEL: 'warn',
          DATABASE_URL: withDatabase(TEST_PG_URL, 'provdb'),
          REDIS_URL: TEST_REDIS_URL,
          METRICS_PORT: '0',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('provdb-worker demo', function () {
  this.timeout(90_000);
  const name = `provdb_demo_test_${RUN_ID}_${process.pid}`;
  const foreign = `${name}_foreign`;
  let admin: Knex;

  const exists = async (db: string) =>
    (await admin.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_database WHERE datname = ?', [db])).rows
      .length === 1;

  before(() => {
    admin = createKnex(TEST_PG_URL, { poolMax: 1, applicationName: 'provdb-worker-test-admin' });
  });

  after(async () => {
    for (const db of [name, foreign]) await admin.raw(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`);
    await admin.destroy();
  });

  it('creates its database, migrates and seeds it, plays the event stream and prints the summary', async () => {
    const run = await demo(['--database', name]);
    assert.equal(run.code, 0, run.stderr);
    for (const expected of [
      /Postgres +postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: ok \(Postgres \d+/,
      new RegExp(`Database ${name}: created`),
      /Migrated: \d+ migrations/,
      /bookings 670\/670/,
      /Scheduler devices by type \(linked_devices\)/,
      /Busiest devices, last 30 days/,
      /Alignment report/,
      /overlapping_confirmed_pairs +0/,
      /Rollups: [\d,]+ hour and day rows computed/,
      /Playing the event stream through Redis/,
      /booking\.created: .* overlapping booking \d+/,
      /11\/11 topology\.updated/,
      /Jobs processed: \d+ completed, 0 failed/,
      /Metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/,
    ]) {
      assert.match(run.stdout, expected);
    }
    const db = createKnex(withDatabase(TEST_PG_URL, name), { poolMax: 1 });
    try {
      const { rows } = await db.raw<{ rows: Array<{ mark: string; bookings: number }> }>(
        `SELECT shobj_description(d.oid, 'pg_database') AS mark, (SELECT count(*)::int FROM booking_table) AS bookings
           FROM pg_database d WHERE d.datname = current_database()`,
      );
      assert.equal(rows[0]?.mark, DEMO_DATABASE_MARK);
      assert.ok((rows[0]?.bookings ?? 0) > 600);
    } finally {
      await db.destroy();
    }
  });

  it('recreates the database an earlier demo made', async () => {
    const run = await demo(['--database', name, '--seed', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Database ${name}: recreated`));
    assert.match(run.stdout, /Seeding a lab \(seed 2\)/);
  });

  it('refuses, untouched, a database it did not create (exit 2)', async () => {
    await admin.raw(`CREATE DATABASE ${ident(foreign)}`);
    const db = createKnex(withDatabase(TEST_PG_URL, foreign), { poolMax: 1 });
    try {
      await db.raw('CREATE TABLE precious (v text)');
      await db.raw(`INSERT INTO precious VALUES ('keep me')`);
      const run = await demo(['--database', foreign]);
      assert.equal(run.code, 2);
      assert.match(
        run.stderr,
        new RegExp(`database ${foreign} already exists and was not created by the demo`),
      );
      const { rows } = await db.raw<{ rows: Array<{ v: string }> }>('SELECT v FROM precious');
      assert.deepEqual(rows, [{ v: 'keep me' }]);
    } finally {
      await db.destroy();
    }
  });

  it('refuses a name that does not start with provdb_demo, before connecting (exit 2)', async () => {
    const run = await demo(['--database', 'provdb']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /the demo's database name must start with "provdb_demo"/);
    assert.doesNotMatch(run.stdout, /Checking Postgres/);
  });

  it('says which service is down, where, and how to start it (exit 1, no stack trace)', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const missing = `${name}_never`;
    const run = await demo(['--database', missing], { REDIS_URL: `redis://127.0.0.1:${port}` });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /Postgres .*: ok/);
    assert.match(
      run.stderr,
      new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): .*ECONNREFUSED`),
    );
    assert.match(run.stderr, /docker compose up -d/);
    assert.doesNotMatch(run.stderr, /^\s+at /m);
    assert.equal(await exists(missing), false, 'no database is created when a service is missing');
  });
});
