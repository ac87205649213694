import assert from 'node:assert/strict';
import { migrateTo, rollbackTo } from '../../src/db/migrator';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { BASELINE, migrateToBaseline } from '../support/legacy';

describe('alignment: quarantine table', () => {
  let db: TestDatabase;
  before(async () => {
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    await migrateTo(db.knex, '20261124010000_alignment_quarantine');
  });
  after(() => db?.drop());

  it('refuses to roll back while it still holds rows, rather than lose them', async () => {
    await db.knex('alignment_quarantine').insert({
      table_name: 'device_tags',
      row_pk: { id: 1 },
      reason: 'test',
      row_data: { id: 1 },
      migration: 'test',
    });
    await assert.rejects(rollbackTo(db.knex, BASELINE), /still holds 1 row\(s\)/);
    await db.knex('alignment_quarantine').delete();
    await rollbackTo(db.knex, BASELINE);
    const { rows } = await db.knex.raw(`SELECT to_regclass('alignment_quarantine') AS t`);
    assert.equal(rows[0].t, null);
  });
});
