import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { bookingRow, resetHistory } from '../rollups/history';
import { migratedDatabase, type TestDatabase } from '../support/db';

const BIN = path.resolve(__dirname, '../../bin/provdb-worker.cjs');

function cli(db: TestDatabase, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'rollup', ...args],
      { env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('provdb-worker rollup', function () {
  this.timeout(60_000);
  let db: TestDatabase;

  before(async () => {
    db = await migratedDatabase();
    await resetHistory(db.knex);
    await db.knex('device_table').insert([
      { id: 1, Out_Port: 1, In_Port: 2 },
      { id: 2, Out_Port: 3, In_Port: 4 },
    ]);
    await db.knex('booking_table').insert(
      bookingRow({
        id: 1,
        deviceId: 1,
        userId: 1,
        isCollaborator: false,
        start: new Date('2026-03-02T10:00:00Z'),
        end: new Date('2026-03-02T12:30:00Z'),
        status: 'confirmed',
      }),
    );
  });
  after(() => db?.drop());

  it('backfills a range, reporting progress on stderr and the ranges on stdout', async () => {
    const run = await cli(db, ['--from', '2026-03-02', '--to', '2026-03-04']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /chunk 1\/1: 2 device\(s\) 1\.\.2, 100 bucket\(s\)/);
    assert.match(run.stdout, /hour: 2026-03-02T00:00:00.000Z .. 2026-03-04T00:00:00.000Z/);
    const day = await db
      .knex('utilization_rollups')
      .first('booked_seconds')
      .where({ device_id: 1, granularity: 'day', bucket_start: '2026-03-02T00:00:00Z' });
    assert.equal(day?.booked_seconds, 9000);
  });

  it('is safe to rerun, and limits itself to the granularity and devices asked for', async () => {
    const run = await cli(db, [
      '--from',
      '2026-03-02',
      '--to',
      '2026-03-03',
      '--granularity',
      'day',
      '--devices',
      '1',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /1 device\(s\), 1 bucket\(s\) computed, 0 row\(s\) written/);
  });

  for (const [args, message] of [
    [['--from', '2026-02-30', '--to', '2026-03-03'], /--from "2026-02-30" is not a real date/],
    [['--from', 'yesterday', '--to', '2026-03-03'], /--from "yesterday" is not a date/],
    [['--from', '2026-03-03', '--to', '2026-03-02'], /--to 2026-03-02 must be after --from 2026-03-03/],
    [
      ['--from', '2026-03-02', '--to', '2026-03-03', '--granularity', 'week'],
      /--granularity "week" must be hour or day/,
    ],
    [['--from', '2026-03-02', '--to', '2026-03-03', '--devices', '1,x'], /"x" is not a device id/],
    [
      ['--from', '2026-03-02', '--to', '2026-03-03', '--devices', '1,7,9'],
      /no device_table row with id 7, 9/,
    ],
    [
      ['--from', '2026-03-02', '--to', '2026-03-03', '--concurrency', '0'],
      /--concurrency "0" must be a whole number/,
    ],
    [['--from', '2026-03-02'], /required option '--to <date>' not specified/],
  ] as const) {
    it(`exits 2 with a clear message for ${args.join(' ')}`, async () => {
      const run = await cli(db, [...args]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, message);
    });
  }
});
