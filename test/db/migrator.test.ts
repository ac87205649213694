import assert from 'node:assert/strict';
import { migrateLatest, migrateToZero, migrationStatus } from '../../src/db/migrator';
import { userObjects } from '../support/catalog';
import { emptyDatabase, type TestDatabase } from '../support/db';

describe('migrator', () => {
  let db: TestDatabase;

  before(async () => {
    db = await emptyDatabase();
  });

  after(() => db?.drop());

  it('rolled back to zero on a fresh database, leaves none of the project objects', async () => {
    const before_ = await userObjects(db.knex);
    const { files } = await migrateLatest(db.knex);
    assert.ok(files.length > 0);
    assert.notDeepEqual(await userObjects(db.knex), before_);
    const rolledBack = await migrateToZero(db.knex);
    assert.deepEqual([...rolledBack.files].sort(), [...files].sort());
    assert.deepEqual(await userObjects(db.knex), before_);
  });

  it('migrates again after a rollback to zero, and a second run applies nothing', async () => {
    const first = await migrateLatest(db.knex);
    assert.ok(first.files.length > 0);
    const second = await migrateLatest(db.knex);
    assert.deepEqual(second.files, []);
    const { completed, pending } = await migrationStatus(db.knex);
    assert.deepEqual(completed, first.files);
    assert.deepEqual(pending, []);
  });
});
