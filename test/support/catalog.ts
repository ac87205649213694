/**
 * Reads what a database holds from information_schema and pg_catalog, in forms tests can compare
 * with deepEqual: table definitions, table contents, and every object the project could create.
 */
import type { Knex } from 'knex';

async function rows<T>(knex: Knex, sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
  const result = await knex.raw<{ rows: T[] }>(sql, bindings as Knex.RawBinding[]);
  return result.rows;
}

export async function tableNames(knex: Knex): Promise<string[]> {
  const result = await rows<{ name: string }>(
    knex,
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  return result.map((r) => r.name);
}

export interface ColumnInfo {
  name: string;
  dataType: string;
  maxLength: number | null;
  nullable: boolean;
  default: string | null;
}

/** Columns in their order, as information_schema reports them. */
export async function columns(knex: Knex, table: string): Promise<ColumnInfo[]> {
  const result = await rows<{
    name: string;
    data_type: string;
    max_length: number | null;
    is_nullable: string;
    column_default: string | null;
  }>(
    knex,
    `SELECT column_name AS name, data_type, character_maximum_length AS max_length, is_nullable,
            column_default
       FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ?
      ORDER BY ordinal_position`,
    [table],
  );
  return result.map((r) => ({
    name: r.name,
    dataType: r.data_type,
    maxLength: r.max_length,
    nullable: r.is_nullable === 'YES',
    default: r.column_default,
  }));
}

export interface ConstraintInfo {
  name: string;
  /** p primary key, u unique, f foreign key, c check, x exclusion */
  type: string;
  columns: string[];
  refTable: string | null;
  refColumns: string[] | null;
  onDelete: string | null;
  onUpdate: string | null;
}

const FK_ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

export async function constraints(knex: Knex, table: string): Promise<ConstraintInfo[]> {
  const result = await rows<{
    name: string;
    type: string;
    columns: string[];
    ref_table: string | null;
    ref_columns: string[] | null;
    del: string;
    upd: string;
  }>(
    knex,
    `SELECT con.conname AS name, con.contype AS type,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                   ORDER BY k.n) AS columns,
            ref.relname::text AS ref_table,
            CASE WHEN con.confrelid = 0 THEN NULL ELSE
              ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                     ORDER BY k.n) END AS ref_columns,
            con.confdeltype AS del, con.confupdtype AS upd
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
       LEFT JOIN pg_class ref ON ref.oid = con.confrelid
      WHERE c.relname = ? AND con.contype <> 'n'
      ORDER BY con.conname`,
    [table],
  );
  return result.map((r) => ({
    name: r.name,
    type: r.type,
    columns: r.columns,
    refTable: r.ref_table,
    refColumns: r.ref_columns,
    onDelete: r.type === 'f' ? (FK_ACTIONS[r.del] ?? r.del) : null,
    onUpdate: r.type === 'f' ? (FK_ACTIONS[r.upd] ?? r.upd) : null,
  }));
}

export interface IndexInfo {
  name: string;
  unique: boolean;
  columns: string[];
  /** Whether a PRIMARY KEY or UNIQUE constraint owns the index. */
  constraint: boolean;
}

export async function indexes(knex: Knex, table: string): Promise<IndexInfo[]> {
  return rows<IndexInfo>(
    knex,
    `SELECT ic.relname AS name, i.indisunique AS unique,
            ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   ORDER BY k.n) AS columns,
            EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                       AND con.conrelid = i.indrelid) AS constraint
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
      WHERE c.relname = ?
      ORDER BY ic.relname`,
    [table],
  );
}

/**
 * Everything that defines a table, as Postgres would re-create it: columns (with types,
 * nullability, defaults, order), constraints, indexes, triggers and its owned sequences' state.
 */
export async function tableDefinition(knex: Knex, table: string): Promise<unknown> {
  const [definition] = await rows<{ definition: unknown }>(
    knex,
    `SELECT jsonb_build_object(
       'columns', (SELECT jsonb_agg(jsonb_build_object(
            'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notnull', a.attnotnull,
            'default', pg_get_expr(d.adbin, d.adrelid), 'generated', a.attgenerated,
            'identity', a.attidentity, 'collation', a.attcollation) ORDER BY a.attnum)
          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       'constraints', (SELECT jsonb_agg(jsonb_build_object('name', con.conname,
            'def', pg_get_constraintdef(con.oid)) ORDER BY con.conname)
          FROM pg_constraint con WHERE con.conrelid = c.oid),
       'indexes', (SELECT jsonb_agg(pg_get_indexdef(i.indexrelid) ORDER BY 1)
          FROM pg_index i WHERE i.indrelid = c.oid),
       'triggers', (SELECT jsonb_agg(t.tgname ORDER BY t.tgname)
          FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
       'sequences', (SELECT jsonb_agg(jsonb_build_object('name', s.relname,
            'state', pg_sequence_last_value(s.oid)) ORDER BY s.relname)
          FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
         WHERE dep.refobjid = c.oid AND dep.deptype IN ('a', 'i'))
     ) AS definition
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
    WHERE c.relname = ? AND c.relkind = 'r'`,
    [table],
  );
  if (!definition) throw new Error(`no table ${table}`);
  return definition.definition;
}

/**
 * A table's rows, exactly: `row_to_json` keeps json values byte for byte (jsonb would normalise
 * them) and timestamps to the microsecond. Ordered by the primary key.
 */
export async function tableContents(knex: Knex, table: string): Promise<string[]> {
  const [pk] = await rows<{ columns: string[] }>(
    knex,
    `SELECT ARRAY(SELECT quote_ident(a.attname) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   ORDER BY k.n) AS columns
       FROM pg_index i WHERE i.indrelid = to_regclass(quote_ident(?)) AND i.indisprimary`,
    [table],
  );
  const order = pk ? pk.columns.join(', ') : '1';
  const result = await rows<{ row: string }>(
    knex,
    `SELECT row_to_json(t)::text AS row FROM "${table}" t ORDER BY ${order}`,
  );
  return result.map((r) => r.row);
}

/** Definitions and contents of the given tables, for before/after comparisons. */
export async function snapshot(knex: Knex, tables: readonly string[]): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const table of tables) {
    result[table] = {
      definition: await tableDefinition(knex, table),
      rows: await tableContents(knex, table),
    };
  }
  return result;
}

/**
 * Every object of the database outside the system schemas: relations (tables, views, sequences,
 * indexes), functions, types, operators, collations, extensions, schemas and event triggers.
 */
export async function userObjects(knex: Knex): Promise<string[]> {
  const system = `NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg_temp%'
                  AND nspname NOT LIKE 'pg_toast_temp%'`;
  const result = await rows<{ object: string }>(
    knex,
    `SELECT 'relation ' || c.relkind::text || ' ' || n.nspname || '.' || c.relname AS object
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname ${system}
     UNION ALL
     SELECT 'function ' || n.nspname || '.' || p.oid::regprocedure::text
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname ${system}
     UNION ALL
     SELECT 'type ' || n.nspname || '.' || t.typname
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname ${system}
     UNION ALL
     SELECT 'operator ' || n.nspname || '.' || o.oid::regoperator::text
       FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE n.nspname ${system}
     UNION ALL
     SELECT 'collation ' || n.nspname || '.' || c.collname
       FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE n.nspname ${system}
     UNION ALL
     SELECT 'extension ' || extname FROM pg_extension
     UNION ALL
     SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname ${system}
     UNION ALL
     SELECT 'event trigger ' || evtname FROM pg_event_trigger
     ORDER BY 1`,
  );
  return result.map((r) => r.object);
}
