import assert from 'node:assert/strict';
import { migratedDatabase, type TestDatabase } from '../support/db';

describe('knex wiring', () => {
  let db: TestDatabase;
  const hostTz = process.env.TZ;

  before(async () => {
    db = await migratedDatabase();
  });

  after(async () => {
    process.env.TZ = hostTz;
    await db?.drop();
  });

  it('writes and reads timestamp-without-time-zone columns as UTC, whatever the host time zone', async () => {
    // Node applies a change of TZ at once; a host in New York must still write UTC.
    process.env.TZ = 'America/New_York';
    try {
      const at = new Date('2024-06-03T09:00:00.250Z');
      const [row] = await db.knex
        .raw<{ rows: Array<{ text: string; back: Date }> }>(
          'SELECT (?::timestamp)::text AS text, ?::timestamp AS back',
          [at, at],
        )
        .then((r) => r.rows);
      assert.equal(row?.text, '2024-06-03 09:00:00.25');
      assert.equal(row?.back.toISOString(), '2024-06-03T09:00:00.250Z');
    } finally {
      process.env.TZ = hostTz;
    }
  });

  it('returns int8 counts as numbers', async () => {
    const [row] = await db.knex('user_table').count<Array<{ count: number }>>();
    assert.equal(row?.count, 0);
  });
});
