import assert from 'node:assert/strict';
import { migrateLatest, migrateTo, migrateToZero, migrationStatus, rollbackTo } from '../../src/db/migrator';
import { userObjects } from '../support/catalog';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { BASELINE } from '../support/legacy';

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

describe('migrator: migrateTo / rollbackTo', () => {
  let db: TestDatabase;
  before(async () => {
    db = await emptyDatabase();
  });
  after(() => db?.drop());

  it('applies migrations up to the named one and leaves the rest pending', async () => {
    const { files } = await migrateTo(db.knex, BASELINE);
    assert.deepEqual(files, [`${BASELINE}.ts`]);
    const { completed, pending } = await migrationStatus(db.knex);
    assert.deepEqual(completed, [`${BASELINE}.ts`]);
    assert.ok(pending.length > 0);
    const second = pending[1]!;
    const again = await migrateTo(db.knex, second);
    assert.deepEqual(again.files, pending.slice(0, 2));
    assert.deepEqual((await migrateTo(db.knex, second)).files, [], 'already applied: nothing to do');
  });

  it('rolls back, newest first, to the named migration', async () => {
    const { completed } = await migrationStatus(db.knex);
    const { files } = await rollbackTo(db.knex, BASELINE);
    assert.deepEqual(files, completed.slice(1).reverse());
    assert.deepEqual((await migrationStatus(db.knex)).completed, [`${BASELINE}.ts`]);
  });

  it('names an unknown migration in its error', async () => {
    await assert.rejects(
      migrateTo(db.knex, '29990101000000_nope'),
      /no migration named 29990101000000_nope\.ts/,
    );
    await assert.rejects(
      rollbackTo(db.knex, '29990101000000_nope'),
      /29990101000000_nope\.ts is not applied/,
    );
  });
});
