/**
 * The legacy schema as `schema-audit.md` describes it, written down from the audit alone (never
 * from the baseline migration), so that tests comparing the two can fail when the migration is
 * wrong. It also yields the DDL SQLAlchemy's `create_all` emits for it, to build legacy
 * databases in tests the way the legacy backend built the real one.
 *
 * One line per column: `name type [flags]`. Types: int, float, bool, text, json, timestamp
 * (`timestamp without time zone`), varchar(N). Columns are NOT NULL unless flagged `null`.
 * Flags follow SQLAlchemy's mapping of `Column(...)` keywords to DDL:
 *   pk            part of the primary key (a lone integer key is SERIAL)
 *   ix            index=True              -> CREATE INDEX ix_<table>_<column>
 *   uix           unique=True, index=True -> CREATE UNIQUE INDEX ix_<table>_<column>
 *   unique        unique=True alone       -> UNIQUE (<column>), named <table>_<column>_key
 *   fk:T.c        ForeignKey('T.c')       -> FOREIGN KEY, named <table>_<column>_fkey
 *   fk:T.c:cascade                        -> ... ON DELETE CASCADE
 * The audit's defaults (default=False, utcnow, "Viewer", ...) are client-side: no DEFAULT.
 * Tables are listed referenced-first, the order create_all creates them in.
 */
const SPEC = `
user_table
  id                 int pk ix
  discord_id         varchar(20) null unique
  username           varchar(50) uix
  email              varchar(100) null unique
  password           varchar(100)
  is_admin           bool null

device_table
  id                 int pk ix
  polatis_name       varchar(100) null
  deviceType         varchar(50) null
  deviceName         varchar(50) null
  ip_address         varchar(50) null
  status             varchar(50) null
  maintenance_start  varchar(100) null
  maintenance_end    varchar(100) null
  Out_Port           int
  In_Port            int

device_types
  id                 int pk ix
  name               varchar(100) uix
  category           varchar(50) ix
  description        text null
  is_schedulable     bool
  is_has_ports       bool
  created_at         timestamp
  updated_at         timestamp

manufacturers
  id                 int pk ix
  name               varchar(100) uix
  website            varchar(200) null
  notes              text null
  created_at         timestamp
  updated_at         timestamp

sites
  id                 int pk ix
  name               varchar(100) uix
  address            text null
  notes              text null
  created_at         timestamp
  updated_at         timestamp

tags
  id                 int pk ix
  name               varchar(50) uix
  description        text null
  color              varchar(20) null
  created_at         timestamp

booking_table
  booking_id         int pk ix
  device_id          int fk:device_table.id
  user_id            int fk:user_table.id
  is_collaborator    bool
  grouped_booking_id varchar(64) ix
  start_time         timestamp
  end_time           timestamp
  status             varchar(50) null
  comment            text null
  collaborators      json null
  created_at         timestamp

booking_favorite
  id                 int pk ix
  user_id            int fk:user_table.id
  name               varchar(200)
  grouped_booking_id varchar(64) ix
  device_snapshot    json
  created_at         timestamp
  updated_at         timestamp

topology_table
  id                 int pk ix
  user_id            int fk:user_table.id
  name               varchar(200)
  nodes              json
  edges              json
  created_at         timestamp
  updated_at         timestamp

topology_review
  id                 int pk ix
  topology_id        int unique fk:topology_table.id
  status             varchar(20)
  conflict_count     int
  last_checked_at    timestamp null
  resolved_at        timestamp null
  resolved_by        int null fk:user_table.id
  notes              text null
  created_at         timestamp
  updated_at         timestamp

admin_roles
  id                 int pk ix
  user_id            int unique fk:user_table.id
  role               varchar(50)
  status             varchar(20)
  permissions        json null
  approval_limits    json null
  created_at         timestamp
  updated_at         timestamp

admin_audit_log
  id                 int pk ix
  actor_id           int null fk:user_table.id
  actor_role         varchar(50) null
  action             varchar(100)
  entity_type        varchar(50)
  entity_id          varchar(64) null
  payload            json null
  outcome            varchar(20)
  message            text null
  created_at         timestamp

admin_settings
  id                 int pk ix
  key                varchar(100) unique
  value              json
  updated_at         timestamp
  updated_by         int null fk:user_table.id

admin_invitations
  id                 int pk ix
  email              varchar(200)
  handle             varchar(100) null
  role               varchar(50)
  invited_by         int null fk:user_table.id
  token              varchar(64) unique
  expires_at         timestamp
  created_at         timestamp
  accepted_at        timestamp null

device_ownership
  id                 int pk ix
  device_id          int fk:device_table.id
  owner_id           int fk:user_table.id
  assigned_by        int null fk:user_table.id
  assigned_at        timestamp
  revoked_at         timestamp null

device_tags
  id                 int pk ix
  device_id          int fk:device_table.id
  tag                varchar(50)
  created_at         timestamp

device_health_snapshot
  id                 int pk ix
  device_id          int fk:device_table.id
  status             varchar(50)
  heartbeat_at       timestamp null
  metrics            json null
  updated_at         timestamp

devices
  id                 int pk ix
  oi_id              varchar(50) null uix
  name               varchar(200) ix
  device_type_id     int ix fk:device_types.id
  manufacturer_id    int null ix fk:manufacturers.id
  model              varchar(100) null
  serial_number      varchar(100) null uix
  status             varchar(50) ix
  site_id            int null ix fk:sites.id
  rack               varchar(50) null
  u_position         int null
  hostname           varchar(100) null
  mgmt_ip            varchar(50) null
  polatis_name       varchar(100) null
  polatis_port_range varchar(100) null
  owner_group        varchar(100) null
  notes              text null
  created_at         timestamp
  updated_at         timestamp
  created_by_id      int null fk:user_table.id
  updated_by_id      int null fk:user_table.id

inventory_device_tags
  device_id          int pk ix fk:devices.id:cascade
  tag_id             int pk ix fk:tags.id:cascade
  created_at         timestamp

device_history
  id                 int pk ix
  device_id          int ix fk:devices.id:cascade
  action             varchar(50)
  field_name         varchar(100) null
  old_value          text null
  new_value          text null
  changed_by_id      int null fk:user_table.id
  notes              text null
  extra              json null
  created_at         timestamp ix

maintenance_records
  id                 int pk ix
  item_id            int ix
  maintenance_type   varchar(50)
  description        text null
  performed_by       varchar(200) null
  scheduled_date     timestamp null
  performed_date     timestamp null
  next_due_date      timestamp null
  cost               float null
  parts_used         json null
  status             varchar(50)
  notes              text null
  outcome            varchar(50) null
  extra              json null
  created_at         timestamp
  updated_at         timestamp
  created_by_id      int null fk:user_table.id
`;

export interface ColumnSpec {
  name: string;
  /** int, float, bool, text, json, timestamp or varchar */
  type: string;
  length: number | null;
  nullable: boolean;
  pk: boolean;
  index: 'ix' | 'uix' | null;
  unique: boolean;
  fk: { table: string; column: string; onDelete: 'CASCADE' | 'NO ACTION' } | null;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
}

function parseColumn(table: string, line: string): ColumnSpec {
  const [name, rawType, ...flags] = line.trim().split(/\s+/);
  if (!name || !rawType) throw new Error(`legacy spec: bad line in ${table}: ${line}`);
  const m = /^(\w+)(?:\((\d+)\))?$/.exec(rawType);
  if (!m?.[1]) throw new Error(`legacy spec: bad type ${rawType} of ${table}.${name}`);
  const column: ColumnSpec = {
    name,
    type: m[1],
    length: m[2] ? Number(m[2]) : null,
    nullable: false,
    pk: false,
    index: null,
    unique: false,
    fk: null,
  };
  for (const flag of flags) {
    if (flag === 'null') column.nullable = true;
    else if (flag === 'pk') column.pk = true;
    else if (flag === 'ix' || flag === 'uix') column.index = flag;
    else if (flag === 'unique') column.unique = true;
    else if (flag.startsWith('fk:')) {
      const [, target, onDelete] = flag.split(':');
      const [refTable, refColumn] = (target ?? '').split('.');
      if (!refTable || !refColumn) throw new Error(`legacy spec: bad ${flag} on ${table}.${name}`);
      column.fk = {
        table: refTable,
        column: refColumn,
        onDelete: onDelete === 'cascade' ? 'CASCADE' : 'NO ACTION',
      };
    } else throw new Error(`legacy spec: unknown flag ${flag} on ${table}.${name}`);
  }
  return column;
}

function parse(spec: string): TableSpec[] {
  const tables: TableSpec[] = [];
  for (const block of spec.trim().split(/\n\s*\n/)) {
    const [header, ...lines] = block.split('\n');
    const name = (header ?? '').trim();
    tables.push({ name, columns: lines.map((line) => parseColumn(name, line)) });
  }
  return tables;
}

export const LEGACY_TABLES: readonly TableSpec[] = parse(SPEC);
export const LEGACY_TABLE_NAMES: readonly string[] = LEGACY_TABLES.map((t) => t.name);

export function tableSpec(name: string): TableSpec {
  const table = LEGACY_TABLES.find((t) => t.name === name);
  if (!table) throw new Error(`no legacy table ${name}`);
  return table;
}

/** A lone integer primary key is SERIAL in create_all's DDL. */
export function isSerial(table: TableSpec, column: ColumnSpec): boolean {
  return column.pk && column.type === 'int' && table.columns.filter((c) => c.pk).length === 1;
}

const q = (name: string) => `"${name}"`;

const SQL_TYPES: Record<string, string> = {
  int: 'INTEGER',
  float: 'FLOAT',
  bool: 'BOOLEAN',
  text: 'TEXT',
  json: 'JSON',
  timestamp: 'TIMESTAMP WITHOUT TIME ZONE',
  varchar: 'VARCHAR',
};

/** The statements `Base.metadata.create_all` runs for one table (CREATE TABLE, then indexes). */
export function createAllDdl(table: TableSpec, options: { omitColumns?: string[] } = {}): string[] {
  const columns = table.columns.filter((c) => !options.omitColumns?.includes(c.name));
  const lines = columns.map((c) => {
    const type = isSerial(table, c) ? 'SERIAL' : `${SQL_TYPES[c.type]}${c.length ? `(${c.length})` : ''}`;
    return `${q(c.name)} ${type}${c.nullable ? '' : ' NOT NULL'}`;
  });
  lines.push(
    `PRIMARY KEY (${columns
      .filter((c) => c.pk)
      .map((c) => q(c.name))
      .join(', ')})`,
  );
  for (const c of columns) if (c.unique) lines.push(`UNIQUE (${q(c.name)})`);
  for (const c of columns) {
    if (!c.fk) continue;
    const onDelete = c.fk.onDelete === 'CASCADE' ? ' ON DELETE CASCADE' : '';
    lines.push(`FOREIGN KEY(${q(c.name)}) REFERENCES ${q(c.fk.table)} (${q(c.fk.column)})${onDelete}`);
  }
  const statements = [`CREATE TABLE ${q(table.name)} (\n\t${lines.join(',\n\t')}\n)`];
  for (const c of columns) {
    if (!c.index) continue;
    const unique = c.index === 'uix' ? 'UNIQUE ' : '';
    statements.push(
      `CREATE ${unique}INDEX ${q(`ix_${table.name}_${c.name}`)} ON ${q(table.name)} (${q(c.name)})`,
    );
  }
  return statements;
}
