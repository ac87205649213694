import assert from 'node:assert/strict';
import { migrateTo, rollbackTo } from '../../src/db/migrator';
import { emptyDatabase, migratedDatabase, type TestDatabase } from '../support/db';
import { BASELINE, insertSchedulerDevice, migrateToBaseline } from '../support/legacy';

const STEP = '20261124010002_device_maintenance_typed';

/** Input -> expected UTC instant (microseconds), or null when it must not parse. */
const CASES: Array<[string | null, string | null]> = [
  ['2026-03-01', '2026-03-01T00:00:00.000000Z'],
  ['2026-03-01T10:15', '2026-03-01T10:15:00.000000Z'],
  ['2026-03-01 10:15', '2026-03-01T10:15:00.000000Z'],
  ['2026-03-01T10:15:30', '2026-03-01T10:15:30.000000Z'],
  ['2026-03-01 10:15:30', '2026-03-01T10:15:30.000000Z'],
  ['2026-03-01T10:15:30.5', '2026-03-01T10:15:30.500000Z'],
  ['2026-03-01T10:15:30.123456', '2026-03-01T10:15:30.123456Z'],
  ['2026-03-01T10:15:30.1234567', '2026-03-01T10:15:30.123456Z'],
  ['2026-03-01T10:15:59.9999999', '2026-03-01T10:15:59.999999Z'],
  ['2026-03-01T10:15:30Z', '2026-03-01T10:15:30.000000Z'],
  ['2026-03-01T10:15Z', '2026-03-01T10:15:00.000000Z'],
  ['2026-03-01T10:15:30+02:00', '2026-03-01T08:15:30.000000Z'],
  ['2026-03-01T10:15-05:30', '2026-03-01T15:45:00.000000Z'],
  ['2026-03-01 10:15:30.25+01:00', '2026-03-01T09:15:30.250000Z'],
  ['2026-03-01T00:30+01:00', '2026-02-28T23:30:00.000000Z'],
  ['2026-12-31T23:30-01:00', '2027-01-01T00:30:00.000000Z'],
  ['2026-03-01T10:15+00:00', '2026-03-01T10:15:00.000000Z'],
  ['2026-03-01T10:15+14:00', '2026-02-28T20:15:00.000000Z'],
  ['03/15/2026 09:30', '2026-03-15T09:30:00.000000Z'],
  ['12/31/2026 23:59', '2026-12-31T23:59:00.000000Z'],
  ['  2026-03-01T10:15  ', '2026-03-01T10:15:00.000000Z'],
  ['\t2026-03-01\n', '2026-03-01T00:00:00.000000Z'],
  ['2024-02-29', '2024-02-29T00:00:00.000000Z'],
  ['2000-02-29 12:00', '2000-02-29T12:00:00.000000Z'],
  ['02/29/2024 00:00', '2024-02-29T00:00:00.000000Z'],
  // blanks
  [null, null],
  ['', null],
  ['   ', null],
  // not real dates or times
  ['2026-02-30', null],
  ['2026-02-29', null],
  ['1900-02-29', null],
  ['2026-04-31 10:00', null],
  ['2026-13-01', null],
  ['2026-00-10', null],
  ['2026-03-00', null],
  ['0000-01-01', null],
  ['2026-03-01T25:00', null],
  ['2026-03-01T24:00', null],
  ['2026-03-01T10:60', null],
  ['2026-03-01T10:15:60', null],
  ['02/30/2026 10:00', null],
  ['13/01/2026 10:00', null],
  ['03/15/2026 25:00', null],
  ['2026-03-01T10:15+15:00', null],
  ['2026-03-01T10:15+02:60', null],
  // formats that are not on the list
  ['03/15/2026', null],
  ['3/5/2026 09:30', null],
  ['03/15/2026 9:30', null],
  ['03/15/2026 09:30:00', null],
  ['2026-3-1', null],
  ['2026-03-01T10', null],
  ['2026-03-01Z', null],
  ['2026-03-01T10:15+0200', null],
  ['2026-03-01T10:15+02', null],
  ['2026-03-01T10:15:30.', null],
  ['2026-03-01T10:15.5', null],
  ['2026-03-01t10:15', null],
  ['2026-03-01T10:15z', null],
  ['2026-03-01  10:15', null],
  ['2026/03/01 10:00', null],
  ['01.03.2026', null],
  ['Mar 1 2026', null],
  ['tomorrow', null],
  ['now', null],
  ['TBD', null],
  ['2026-03-01 to 2026-03-02', null],
];

describe('alignment: alignment_parse_maintenance_ts', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase();
  });
  after(() => db?.drop());

  async function parseAll(): Promise<Array<string | null>> {
    const { rows } = await db.knex.raw(
      `SELECT to_char(alignment_parse_maintenance_ts(v) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
         FROM unnest(?::text[]) WITH ORDINALITY AS x(v, n) ORDER BY n`,
      [CASES.map(([input]) => input) as string[]],
    );
    return rows.map((r: { t: string | null }) => r.t);
  }

  it('accepts exactly the listed formats and rejects dates and times that do not exist', async () => {
    const got = await parseAll();
    const wrong = CASES.map(([input, want], i) => ({ input, want, got: got[i] })).filter(
      (c) => c.got !== c.want,
    );
    assert.deepEqual(wrong, []);
  });

  it('gives the same instants whatever the session time zone and date style', async () => {
    const utc = await parseAll();
    await db.knex.transaction(async (trx) => {
      await trx.raw(`SET LOCAL TimeZone = 'America/New_York'`);
      await trx.raw(`SET LOCAL DateStyle = 'SQL, DMY'`);
      const { rows } = await trx.raw(
        `SELECT to_char(alignment_parse_maintenance_ts(v) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
           FROM unnest(?::text[]) WITH ORDINALITY AS x(v, n) ORDER BY n`,
        [CASES.map(([input]) => input) as string[]],
      );
      assert.deepEqual(
        rows.map((r: { t: string | null }) => r.t),
        utc,
      );
    });
  });

  it('classifies start/end pairs into exactly one state', async () => {
    const pairs: Array<[string | null, string | null, string, string | null, string | null]> = [
      ['2026-03-01 10:00', '2026-03-01 12:00', 'parsed', '2026-03-01T10:00:00Z', '2026-03-01T12:00:00Z'],
      ['2026-03-01 10:00', '', 'partial', '2026-03-01T10:00:00Z', null],
      [null, '03/02/2026 08:00', 'partial', null, '2026-03-02T08:00:00Z'],
      [null, '  ', 'empty', null, null],
      ['2026-02-30', '2026-03-01', 'unparseable', null, null],
      ['2026-03-01', 'soon', 'unparseable', null, null],
      ['garbage', null, 'unparseable', null, null],
      ['2026-03-02', '2026-03-01', 'end_before_start', null, null],
      ['2026-03-01T10:00Z', '2026-03-01T12:00+02:00', 'end_before_start', null, null],
    ];
    for (const [start, end, state, startsAt, endsAt] of pairs) {
      const { rows } = await db.knex.raw(
        `SELECT state,
                to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS s,
                to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS e
           FROM alignment_maintenance_window(?::text, ?::text)`,
        [start, end],
      );
      assert.deepEqual(rows[0], { state, s: startsAt, e: endsAt }, `${start} / ${end}`);
    }
  });
});

describe('alignment: device maintenance typed columns', () => {
  let db: TestDatabase;
  let parsed: number;
  let partial: number;
  let inverted: number;
  let junk: number;

  before(async () => {
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    parsed = await insertSchedulerDevice(db.knex, {
      maintenance_start: '2026-03-01T10:00:00+01:00',
      maintenance_end: '03/01/2026 12:00',
    });
    partial = await insertSchedulerDevice(db.knex, { maintenance_start: '2026-03-05', maintenance_end: ' ' });
    inverted = await insertSchedulerDevice(db.knex, {
      maintenance_start: '2026-03-05',
      maintenance_end: '2026-03-04',
    });
    junk = await insertSchedulerDevice(db.knex, {
      maintenance_start: 'next week',
      maintenance_end: '2026-03-04',
    });
    await migrateTo(db.knex, STEP);
  });
  after(() => db?.drop());

  async function typed(id: number): Promise<[string | null, string | null]> {
    const { rows } = await db.knex.raw(
      `SELECT to_char(maintenance_starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') AS s,
              to_char(maintenance_ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') AS e
         FROM device_table WHERE id = ?`,
      [id],
    );
    return [rows[0].s, rows[0].e];
  }

  it('backfills the typed columns from the legacy strings', async () => {
    assert.deepEqual(await typed(parsed), ['2026-03-01T09:00Z', '2026-03-01T12:00Z']);
    assert.deepEqual(await typed(partial), ['2026-03-05T00:00Z', null]);
    assert.deepEqual(await typed(inverted), [null, null]);
    assert.deepEqual(await typed(junk), [null, null]);
  });

  it('parses what the legacy backend writes afterwards, on insert and on update', async () => {
    const id = await insertSchedulerDevice(db.knex, {
      maintenance_start: '2026-04-01 08:00',
      maintenance_end: '2026-04-01T09:30:00Z',
    });
    assert.deepEqual(await typed(id), ['2026-04-01T08:00Z', '2026-04-01T09:30Z']);
    await db.knex('device_table').where({ id }).update({ maintenance_end: '2026-04-01T07:00Z' });
    assert.deepEqual(await typed(id), [null, null]);
    await db.knex('device_table').where({ id: junk }).update({ maintenance_start: '03/03/2026 10:00' });
    assert.deepEqual(await typed(junk), ['2026-03-03T10:00Z', '2026-03-04T00:00Z']);
    await db.knex('device_table').where({ id }).update({ maintenance_start: null, maintenance_end: null });
    assert.deepEqual(await typed(id), [null, null]);
  });

  it('leaves typed values written directly alone', async () => {
    const id = await insertSchedulerDevice(db.knex, { maintenance_start: 'whenever' });
    await db.knex('device_table').where({ id }).update({
      maintenance_start: 'still whenever',
      maintenance_starts_at: '2026-05-01T00:00:00Z',
    });
    assert.deepEqual(await typed(id), ['2026-05-01T00:00Z', null]);
    await db.knex('device_table').where({ id }).update({ deviceName: 'renamed' });
    assert.deepEqual(await typed(id), ['2026-05-01T00:00Z', null]);
  });

  it('drops the typed columns on rollback and keeps the strings', async () => {
    await rollbackTo(db.knex, BASELINE);
    const { rows } = await db.knex.raw(
      `SELECT column_name FROM information_schema.columns
        WHERE table_name = 'device_table' AND column_name LIKE 'maintenance%' ORDER BY 1`,
    );
    assert.deepEqual(
      rows.map((r: { column_name: string }) => r.column_name),
      ['maintenance_end', 'maintenance_start'],
    );
    const { rows: junkRow } = await db.knex.raw('SELECT maintenance_start FROM device_table WHERE id = ?', [
      junk,
    ]);
    assert.equal(junkRow[0].maintenance_start, '03/03/2026 10:00');
  });
});
