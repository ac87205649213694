/**
 * The baseline adopts a legacy database in place: tables that exist keep their definition and
 * every row, absent ones are created, and rolling back removes only what was created.
 */
import assert from 'node:assert/strict';
import { migrateLatest, migrateRollback, migrateToZero } from '../../src/db/migrator';
import { BOOKKEEPING_TABLES, createdByBaseline, migrateBaseline } from '../support/baseline';
import { snapshot, tableNames } from '../support/catalog';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { createInventoryItems, createLegacyTables } from '../support/legacy-rows';
import { LEGACY_TABLE_NAMES } from '../support/legacy-schema';

const WITH_RETIRED = [...LEGACY_TABLE_NAMES, 'inventory_items'];
// A provdb from before the inventory domain existed: the 13 scheduler tables only.
const SCHEDULER_TABLES = LEGACY_TABLE_NAMES.slice(0, 2).concat(LEGACY_TABLE_NAMES.slice(6, 17));
const INVENTORY_TABLES = LEGACY_TABLE_NAMES.filter((t) => !SCHEDULER_TABLES.includes(t));

describe('baseline migration on an existing legacy database', () => {
  describe('with every legacy table and its rows', () => {
    let db: TestDatabase;
    let before_: Record<string, unknown>;

    before(async () => {
      db = await emptyDatabase();
      await createLegacyTables(db.knex);
      await createInventoryItems(db.knex);
      before_ = await snapshot(db.knex, WITH_RETIRED);
    });

    after(() => db?.drop());

    it('holds rows in every legacy table (the fixture is realistic)', () => {
      for (const table of WITH_RETIRED) {
        const { rows } = before_[table] as { rows: string[] };
        assert.ok(rows.length > 0, `${table} has rows`);
      }
    });

    it('changes no row, column, constraint, index or sequence, and creates no legacy table', async () => {
      await migrateBaseline(db.knex);
      assert.deepEqual(await snapshot(db.knex, WITH_RETIRED), before_);
      assert.deepEqual(await createdByBaseline(db.knex), []);
      assert.deepEqual(await tableNames(db.knex), [...WITH_RETIRED, ...BOOKKEEPING_TABLES].sort());
    });

    it('rolled back to zero, leaves the legacy tables and rows as they were', async () => {
      await migrateToZero(db.knex);
      assert.deepEqual(await tableNames(db.knex), [...WITH_RETIRED].sort());
      assert.deepEqual(await snapshot(db.knex, WITH_RETIRED), before_);
    });

    it('migrated to the latest schema and rolled back to zero, is again as it was', async () => {
      await migrateLatest(db.knex);
      await migrateToZero(db.knex);
      assert.deepEqual(await tableNames(db.knex), [...WITH_RETIRED].sort());
      assert.deepEqual(await snapshot(db.knex, WITH_RETIRED), before_);
    });
  });

  describe('with some legacy tables', () => {
    let db: TestDatabase;
    let before_: Record<string, unknown>;

    before(async () => {
      db = await emptyDatabase();
      await createLegacyTables(db.knex, { tables: SCHEDULER_TABLES });
      before_ = await snapshot(db.knex, SCHEDULER_TABLES);
    });

    after(() => db?.drop());

    it('creates only the missing tables and leaves the existing ones untouched', async () => {
      assert.equal(SCHEDULER_TABLES.length, 13);
      await migrateBaseline(db.knex);
      assert.deepEqual(await createdByBaseline(db.knex), [...INVENTORY_TABLES].sort());
      assert.deepEqual(await tableNames(db.knex), [...LEGACY_TABLE_NAMES, ...BOOKKEEPING_TABLES].sort());
      assert.deepEqual(await snapshot(db.knex, SCHEDULER_TABLES), before_);
    });

    it('rolled back, drops only the tables it created', async () => {
      await migrateRollback(db.knex);
      assert.deepEqual(
        await tableNames(db.knex),
        [...SCHEDULER_TABLES, 'provdb_worker_migrations', 'provdb_worker_migrations_lock'].sort(),
      );
      assert.deepEqual(await snapshot(db.knex, SCHEDULER_TABLES), before_);
    });
  });

  describe('with a legacy table that lacks columns of the audit', () => {
    let db: TestDatabase;

    before(async () => {
      db = await emptyDatabase();
      await createLegacyTables(db.knex, {
        tables: ['user_table', 'device_table'],
        omitColumns: { device_table: ['maintenance_start', 'maintenance_end'] },
        rows: false,
      });
    });

    after(() => db?.drop());

    it('fails with a message naming the table and the columns, and changes nothing', async () => {
      await assert.rejects(migrateLatest(db.knex), (error: Error) => {
        assert.match(
          error.message,
          /legacy table device_table: columns maintenance_start, maintenance_end are missing/,
        );
        return true;
      });
      assert.deepEqual(await tableNames(db.knex), [
        'device_table',
        'provdb_worker_migrations',
        'provdb_worker_migrations_lock',
        'user_table',
      ]);
      assert.deepEqual(await db.knex('provdb_worker_migrations').pluck('name'), []);
    });
  });
});
