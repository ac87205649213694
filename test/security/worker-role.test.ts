// sql/worker-role.sql on a migrated database: the worker runs as the role it creates (real
// handlers, real jobs), and that role cannot delete a booking, change another column, alter
// or drop a table, or read password hashes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Knex } from 'knex';
import { type App, createApp } from '../../src/app';
import { createKnex, ident, withDatabase } from '../../src/db/knex';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { RUN_ID, TEST_PG_URL } from '../support/env';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { captureLogs, jobIn, testConfig } from '../support/runtime';
import { Lab, node } from '../topologies/lab';

/** The worker's own tables as the script lists them (full DML when they exist). */
const OWN_TABLES = [
  'processed_events',
  'utilization_rollups',
  'topology_review_findings',
  'topology_devices',
  'booking_decisions',
];
const SCRIPT = path.resolve(__dirname, '../../sql/worker-role.sql');
// Roles are cluster-wide: one per test run and process, dropped at the end.
const ROLE = `provdb_worker_t_${RUN_ID}_${process.pid}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');

function psql(
  url: string,
  vars: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [
    '-X',
    '-q',
    ...Object.entries(vars).flatMap(([k, v]) => ['-v', `${k}=${v}`]),
    '-f',
    SCRIPT,
    url,
  ];
  return new Promise((resolve) => {
    execFile('psql', args, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function roleUrl(database: string): string {
  const url = new URL(withDatabase(TEST_PG_URL, database));
  url.username = ROLE;
  url.password = '';
  return url.toString();
}

async function deniedAs(knex: Knex, sql: string): Promise<string> {
  const error = await knex.raw(sql).then(
    () => undefined,
    (e: { code?: string; message: string }) => e,
  );
  assert.ok(error, `${sql}: was allowed`);
  assert.equal(error.code, '42501', `${sql}: ${error.message}`);
  return error.message;
}

describe('least privilege: sql/worker-role.sql', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let worker: Knex;
  let app: App | undefined;
  const prefix = uniquePrefix('role');
  let lab: Lab;
  let bookingId: number;
  let topologyId: number;
  let deviceId: number;

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    const user = await lab.user();
    const device = await lab.device();
    deviceId = device.id;
    bookingId = await lab.booking({
      deviceId: device.id,
      userId: user,
      from: new Date('2026-10-05T10:00:00Z'),
      to: new Date('2026-10-05T12:00:00Z'),
      status: 'pending',
    });
    topologyId = await lab.topology(user, [node('a', device.id)], []);
    // Twice: the script is re-runnable and converges.
    for (let i = 0; i < 2; i += 1) {
      const run = await psql(db.url, { role: ROLE, password: 'Role-Secret-Pw' });
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(run.stdout + run.stderr, /Role-Secret-Pw/);
    }
    worker = createKnex(roleUrl(db.name), { poolMax: 2, applicationName: 'provdb-worker-role-test' });
  });

  after(async () => {
    await app?.close();
    await worker?.destroy();
    await deletePrefix(prefix);
    await db?.drop();
    // The database (and the privileges in it) is gone: the role can go too.
    const admin = createKnex(TEST_PG_URL, { poolMax: 1 });
    try {
      await admin.raw(`DROP ROLE IF EXISTS ${ident(ROLE)}`);
    } finally {
      await admin.destroy();
    }
  });

  it('creates a login role with a password, and no superuser, createdb or createrole', async () => {
    const role = await db.knex('pg_authid').where({ rolname: ROLE }).first();
    assert.deepEqual(
      [role.rolcanlogin, role.rolsuper, role.rolcreatedb, role.rolcreaterole, role.rolbypassrls],
      [true, false, false, false, false],
    );
    assert.match(role.rolpassword, /^SCRAM-SHA-256\$/);
    assert.equal((await worker.raw('SELECT current_user AS u')).rows[0].u, ROLE);
  });

  it('runs the worker as that role: a booking and a topology event are processed', async () => {
    app = await createApp(testConfig(roleUrl(db.name), prefix), { logger: captureLogs().logger });
    await app.start({ queues: ['bookings', 'devices', 'topologies'] });
    const booking = await app.deps.producer.enqueue('booking.created', { bookingId });
    const topology = await app.deps.producer.enqueue('topology.submitted', { topologyId });
    const device = await app.deps.producer.enqueue('device.status_changed', {
      deviceId,
      previous: { status: 'available' },
    });
    for (const [queue, id] of [
      ['bookings', booking.jobId],
      ['topologies', topology.jobId],
      ['devices', device.jobId],
    ] as const) {
      const job = await jobIn(app.deps.producer.queue(queue), id);
      assert.equal(await job.getState(), 'completed', job.failedReason);
    }
    assert.equal(Number((await db.knex('processed_events').count('* as n').first())?.n), 3);
    assert.ok(Number((await db.knex('utilization_rollups').count('* as n').first())?.n) > 0);
    assert.ok(await lab.review(topologyId), 'no topology_review row');
    assert.ok(
      await db.knex('admin_audit_log').where({ entity_type: 'topology_review' }).first(),
      'no audit entry',
    );
  });

  it('may update booking_table.status (trigger and generated column included), and nothing else', async () => {
    await worker('booking_table').where({ booking_id: bookingId }).update({ status: 'Cancelled' });
    const row = await db
      .knex('booking_table')
      .where({ booking_id: bookingId })
      .first('status', 'status_canonical');
    assert.deepEqual([row.status, row.status_canonical], ['Cancelled', 'cancelled']);
    assert.match(await deniedAs(worker, `UPDATE booking_table SET user_id = 1`), /permission denied/);
    assert.match(
      await deniedAs(
        worker,
        `UPDATE booking_table SET start_time = start_time WHERE booking_id = ${bookingId}`,
      ),
      /permission denied/,
    );
  });

  it('cannot delete a booking, alter or drop a table, create one, or truncate its own', async () => {
    assert.match(
      await deniedAs(worker, 'DELETE FROM booking_table'),
      /permission denied for table booking_table/,
    );
    assert.match(await deniedAs(worker, 'ALTER TABLE booking_table ADD COLUMN x integer'), /must be owner/);
    assert.match(await deniedAs(worker, 'DROP TABLE booking_table'), /must be owner/);
    assert.match(await deniedAs(worker, 'DROP TABLE processed_events'), /must be owner/);
    assert.match(await deniedAs(worker, 'TRUNCATE processed_events'), /permission denied/);
    assert.match(await deniedAs(worker, 'CREATE TABLE scratch (id integer)'), /permission denied for schema/);
    assert.match(await deniedAs(worker, 'DELETE FROM admin_audit_log'), /permission denied/);
    assert.match(await deniedAs(worker, 'UPDATE admin_audit_log SET outcome = NULL'), /permission denied/);
    assert.match(
      await deniedAs(worker, `INSERT INTO user_table (username, password, is_admin) VALUES ('x', 'x', true)`),
      /permission denied/,
    );
    assert.equal(Number((await db.knex('booking_table').count('* as n').first())?.n), 1);
  });

  it('cannot read password hashes, but reads the other user columns', async () => {
    assert.match(await deniedAs(worker, 'SELECT password FROM user_table'), /permission denied/);
    const rows = await worker('user_table').select('id', 'username', 'is_admin');
    assert.equal(rows.length, 1);
  });

  it('keeps exactly its privileges when the script runs again (no duplicates, nothing widened)', async () => {
    const privileges = () =>
      db.knex.raw(
        `SELECT table_name, privilege_type FROM information_schema.role_table_grants
          WHERE grantee = ? ORDER BY 1, 2`,
        [ROLE],
      );
    const before = (await privileges()).rows;
    const run = await psql(db.url, { role: ROLE });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((await privileges()).rows, before);
    const writable = before.filter((r: { privilege_type: string }) => r.privilege_type !== 'SELECT');
    const tables = [...new Set(writable.map((r: { table_name: string }) => r.table_name))].sort();
    // The worker's own tables that exist here (another part's migration may not have landed).
    const own: string[] = [];
    for (const table of OWN_TABLES) {
      if ((await db.knex.raw('SELECT to_regclass(?) AS t', [table])).rows[0].t) own.push(table);
    }
    assert.ok(own.includes('processed_events') && own.includes('utilization_rollups'));
    assert.deepEqual(tables, ['admin_audit_log', 'topology_review', ...own].sort());
    assert.ok(
      !before.some((r: { privilege_type: string }) =>
        ['TRUNCATE', 'REFERENCES', 'TRIGGER'].includes(r.privilege_type),
      ),
    );
  });

  it('refuses a role name that is not a plain identifier', async () => {
    const run = await psql(db.url, { role: 'x; DROP TABLE booking_table' });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /role name .* must be lower-case letters, digits and _/);
    assert.ok(await db.knex('booking_table').first());
  });
});
