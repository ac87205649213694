import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { userObjects } from '../support/catalog';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { createLegacyTables } from '../support/legacy-rows';

const BIN = path.resolve(__dirname, '../../bin/provdb-worker.cjs');
const BASELINE = '20261124000000_legacy_baseline.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('provdb-worker migrate', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  before(async () => {
    db = await emptyDatabase();
    env = { DATABASE_URL: db.url };
  });

  after(() => db?.drop());

  it('applies the migrations, then reports the database up to date', async () => {
    const first = await cli(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`${db.name}: applied \\d+ migration\\(s\\)`));
    assert.match(first.stdout, new RegExp(BASELINE.replace('.', '\\.')));
    const tables = await db
      .knex('information_schema.tables')
      .where({ table_name: 'booking_table' })
      .pluck('table_name');
    assert.deepEqual(tables, ['booking_table']);
    const again = await cli(['migrate'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already up to date/);
  });

  it('lists applied and pending migrations with --status', async () => {
    const applied = await cli(['migrate', '--status'], env);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, new RegExp(`^applied\\s+${BASELINE.replace('.', '\\.')}$`, 'm'));
    assert.doesNotMatch(applied.stdout, /^pending/m);
  });

  it('rolls back the last batch with --rollback', async () => {
    const rollback = await cli(['migrate', '--rollback'], env);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /rolled back \d+ migration\(s\)/);
    const status = await cli(['migrate', '--status'], env);
    assert.match(status.stdout, new RegExp(`^pending\\s+${BASELINE.replace('.', '\\.')}$`, 'm'));
  });

  it('rolls everything back with --to-zero, leaving none of its objects', async () => {
    await db.knex.schema.dropTable('provdb_worker_migrations_lock');
    await db.knex.schema.dropTable('provdb_worker_migrations');
    const before_ = await userObjects(db.knex);
    assert.equal((await cli(['migrate'], env)).code, 0);
    const toZero = await cli(['migrate', '--to-zero'], env);
    assert.equal(toZero.code, 0, toZero.stderr);
    assert.match(toZero.stdout, /rolled back \d+ migration\(s\)/);
    assert.deepEqual(await userObjects(db.knex), before_);
  });

  it('refuses --rollback with --to-zero (exit 2)', async () => {
    const run = await cli(['migrate', '--rollback', '--to-zero'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /at most one of --rollback, --to-zero, --status/);
  });

  for (const url of ['not a url', 'mysql://root@127.0.0.1/provdb']) {
    it(`exits 2 naming DATABASE_URL when it is ${JSON.stringify(url)}`, async () => {
      const run = await cli(['migrate'], { DATABASE_URL: url });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /DATABASE_URL=/);
    });
  }

  it('exits 2 on an unknown command', async () => {
    const run = await cli(['migrat'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command 'migrat'/);
  });

  it('exits 1 naming the table and column when a legacy table lacks an audit column', async () => {
    const legacy = await emptyDatabase();
    try {
      await createLegacyTables(legacy.knex, {
        tables: ['user_table', 'device_table', 'booking_table'],
        omitColumns: { booking_table: ['grouped_booking_id'] },
        rows: false,
      });
      const run = await cli(['migrate'], { DATABASE_URL: legacy.url });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /legacy table booking_table: column grouped_booking_id is missing/);
    } finally {
      await legacy.drop();
    }
  });
});
