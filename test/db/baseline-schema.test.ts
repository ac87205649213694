/**
 * The baseline on an empty database creates the legacy schema exactly as the audit describes it.
 * The expectation comes from test/support/legacy-schema.ts, written from the audit alone.
 */
import assert from 'node:assert/strict';
import { BASELINE, BOOKKEEPING_TABLES, createdByBaseline, migrateBaseline } from '../support/baseline';
import {
  type ColumnInfo,
  type ConstraintInfo,
  columns,
  constraints,
  type IndexInfo,
  indexes,
  tableDefinition,
  tableNames,
} from '../support/catalog';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { createLegacyTables } from '../support/legacy-rows';
import { isSerial, LEGACY_TABLE_NAMES, LEGACY_TABLES, type TableSpec } from '../support/legacy-schema';

const DATA_TYPES: Record<string, string> = {
  int: 'integer',
  float: 'double precision',
  bool: 'boolean',
  text: 'text',
  json: 'json',
  timestamp: 'timestamp without time zone',
  varchar: 'character varying',
};

function expectedColumns(table: TableSpec): ColumnInfo[] {
  return table.columns.map((c) => ({
    name: c.name,
    dataType: DATA_TYPES[c.type] ?? c.type,
    maxLength: c.length,
    nullable: c.nullable,
    // create_all gives no server defaults: only a SERIAL key's sequence.
    default: isSerial(table, c) ? `nextval('${table.name}_${c.name}_seq'::regclass)` : null,
  }));
}

function expectedConstraints(table: TableSpec): ConstraintInfo[] {
  const none = { refTable: null, refColumns: null, onDelete: null, onUpdate: null };
  const pk = table.columns.filter((c) => c.pk).map((c) => c.name);
  const result: ConstraintInfo[] = [{ name: `${table.name}_pkey`, type: 'p', columns: pk, ...none }];
  for (const c of table.columns) {
    if (c.unique) result.push({ name: `${table.name}_${c.name}_key`, type: 'u', columns: [c.name], ...none });
    if (c.fk) {
      result.push({
        name: `${table.name}_${c.name}_fkey`,
        type: 'f',
        columns: [c.name],
        refTable: c.fk.table,
        refColumns: [c.fk.column],
        onDelete: c.fk.onDelete,
        onUpdate: 'NO ACTION',
      });
    }
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

function expectedIndexes(table: TableSpec): IndexInfo[] {
  const pk = table.columns.filter((c) => c.pk).map((c) => c.name);
  const result: IndexInfo[] = [{ name: `${table.name}_pkey`, unique: true, columns: pk, constraint: true }];
  for (const c of table.columns) {
    if (c.unique)
      result.push({ name: `${table.name}_${c.name}_key`, unique: true, columns: [c.name], constraint: true });
    if (c.index) {
      result.push({
        name: `ix_${table.name}_${c.name}`,
        unique: c.index === 'uix',
        columns: [c.name],
        constraint: false,
      });
    }
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

describe('baseline migration on an empty database', () => {
  let db: TestDatabase;

  before(async () => {
    db = await emptyDatabase();
    await migrateBaseline(db.knex);
  });

  after(() => db?.drop());

  it('creates the 21 legacy tables and its bookkeeping tables, nothing else', async () => {
    assert.equal(LEGACY_TABLES.length, 21);
    assert.deepEqual(await tableNames(db.knex), [...LEGACY_TABLE_NAMES, ...BOOKKEEPING_TABLES].sort());
  });

  it('does not create the retired inventory_items table', async () => {
    assert.ok(!(await tableNames(db.knex)).includes('inventory_items'));
  });

  it('records each table it created, so that rolling back drops exactly those', async () => {
    assert.deepEqual(await createdByBaseline(db.knex), [...LEGACY_TABLE_NAMES].sort());
    const [applied] = await db.knex('provdb_worker_migrations').pluck('name');
    assert.equal(applied, BASELINE);
  });

  for (const table of LEGACY_TABLES) {
    describe(table.name, () => {
      it('has the audit columns in order, with their types, lengths and nullability, and no defaults', async () => {
        assert.deepEqual(await columns(db.knex, table.name), expectedColumns(table));
      });

      it('has the audit primary key, unique constraints and foreign keys (with ON DELETE)', async () => {
        assert.deepEqual(await constraints(db.knex, table.name), expectedConstraints(table));
      });

      it('has the indexes SQLAlchemy creates for the audit columns', async () => {
        assert.deepEqual(await indexes(db.knex, table.name), expectedIndexes(table));
      });
    });
  }

  it('creates tables indistinguishable from those the legacy backend creates', async () => {
    const legacy = await emptyDatabase();
    try {
      await createLegacyTables(legacy.knex, { rows: false });
      for (const table of LEGACY_TABLE_NAMES) {
        assert.deepEqual(
          await tableDefinition(db.knex, table),
          await tableDefinition(legacy.knex, table),
          `definition of ${table}`,
        );
      }
    } finally {
      await legacy.drop();
    }
  });
});
