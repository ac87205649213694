/**
 * Baseline: the 21 legacy tables of the scheduler and inventory domains, as the legacy backend's
 * SQLAlchemy `Base.metadata.create_all` creates them (see docs/schema-baseline.md).
 *
 * It ADOPTS an existing legacy database: a table that already exists is left exactly as it is,
 * rows and all (its expected columns are checked, so a database that is not the legacy schema
 * fails loudly instead of half-migrating). Tables that are absent are created, and recorded in
 * `provdb_worker_baseline` so that `down()` drops only what this migration created.
 *
 * The DDL mirrors create_all: SERIAL keys, `ix_<table>_<column>` indexes for `index=True`,
 * unnamed UNIQUE constraints for `unique=True`, `timestamp without time zone` holding UTC, and
 * no DEFAULT clauses (the audit's defaults are SQLAlchemy client-side defaults).
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

const RECORD_TABLE = 'provdb_worker_baseline';

interface LegacyTable {
  name: string;
  /** Columns the adopted table must have; a missing one means this is not the legacy schema. */
  columns: string[];
  ddl: string[];
}

const TS = 'TIMESTAMP WITHOUT TIME ZONE';

// In dependency order (referenced tables first), as create_all sorts them.
const TABLES: LegacyTable[] = [
  {
    name: 'user_table',
    columns: ['id', 'discord_id', 'username', 'email', 'password', 'is_admin'],
    ddl: [
      `CREATE TABLE user_table (
        id SERIAL NOT NULL,
        discord_id VARCHAR(20),
        username VARCHAR(50) NOT NULL,
        email VARCHAR(100),
        password VARCHAR(100) NOT NULL,
        is_admin BOOLEAN,
        PRIMARY KEY (id),
        UNIQUE (discord_id),
        UNIQUE (email))`,
      'CREATE INDEX ix_user_table_id ON user_table (id)',
      'CREATE UNIQUE INDEX ix_user_table_username ON user_table (username)',
    ],
  },
  {
    name: 'device_table',
    columns: [
      'id',
      'polatis_name',
      'deviceType',
      'deviceName',
      'ip_address',
      'status',
      'maintenance_start',
      'maintenance_end',
      'Out_Port',
      'In_Port',
    ],
    ddl: [
      `CREATE TABLE device_table (
        id SERIAL NOT NULL,
        polatis_name VARCHAR(100),
        "deviceType" VARCHAR(50),
        "deviceName" VARCHAR(50),
        ip_address VARCHAR(50),
        status VARCHAR(50),
        maintenance_start VARCHAR(100),
        maintenance_end VARCHAR(100),
        "Out_Port" INTEGER NOT NULL,
        "In_Port" INTEGER NOT NULL,
        PRIMARY KEY (id))`,
      'CREATE INDEX ix_device_table_id ON device_table (id)',
    ],
  },
  {
    name: 'device_types',
    columns: [
      'id',
      'name',
      'category',
      'description',
      'is_schedulable',
      'is_has_ports',
      'created_at',
      'updated_at',
    ],
    ddl: [
      `CREATE TABLE device_types (
        id SERIAL NOT NULL,
        name VARCHAR(100) NOT NULL,
        category VARCHAR(50) NOT NULL,
        description TEXT,
        is_schedulable BOOLEAN NOT NULL,
        is_has_ports BOOLEAN NOT NULL,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        PRIMARY KEY (id))`,
      'CREATE INDEX ix_device_types_id ON device_types (id)',
      'CREATE UNIQUE INDEX ix_device_types_name ON device_types (name)',
      'CREATE INDEX ix_device_types_category ON device_types (category)',
    ],
  },
  {
    name: 'manufacturers',
    columns: ['id', 'name', 'website', 'notes', 'created_at', 'updated_at'],
    ddl: [
      `CREATE TABLE manufacturers (
        id SERIAL NOT NULL,
        name VARCHAR(100) NOT NULL,
        website VARCHAR(200),
        notes TEXT,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        PRIMARY KEY (id))`,
      'CREATE INDEX ix_manufacturers_id ON manufacturers (id)',
      'CREATE UNIQUE INDEX ix_manufacturers_name ON manufacturers (name)',
    ],
  },
  {
    name: 'sites',
    columns: ['id', 'name', 'address', 'notes', 'created_at', 'updated_at'],
    ddl: [
      `CREATE TABLE sites (
        id SERIAL NOT NULL,
        name VARCHAR(100) NOT NULL,
        address TEXT,
        notes TEXT,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        PRIMARY KEY (id))`,
      'CREATE INDEX ix_sites_id ON sites (id)',
      'CREATE UNIQUE INDEX ix_sites_name ON sites (name)',
    ],
  },
  {
    name: 'tags',
    columns: ['id', 'name', 'description', 'color', 'created_at'],
    ddl: [
      `CREATE TABLE tags (
        id SERIAL NOT NULL,
        name VARCHAR(50) NOT NULL,
        description TEXT,
        color VARCHAR(20),
        created_at ${TS} NOT NULL,
        PRIMARY KEY (id))`,
      'CREATE INDEX ix_tags_id ON tags (id)',
      'CREATE UNIQUE INDEX ix_tags_name ON tags (name)',
    ],
  },
  {
    name: 'booking_table',
    columns: [
      'booking_id',
      'device_id',
      'user_id',
      'is_collaborator',
      'grouped_booking_id',
      'start_time',
      'end_time',
      'status',
      'comment',
      'collaborators',
      'created_at',
    ],
    ddl: [
      `CREATE TABLE booking_table (
        booking_id SERIAL NOT NULL,
        device_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        is_collaborator BOOLEAN NOT NULL,
        grouped_booking_id VARCHAR(64) NOT NULL,
        start_time ${TS} NOT NULL,
        end_time ${TS} NOT NULL,
        status VARCHAR(50),
        comment TEXT,
        collaborators JSON,
        created_at ${TS} NOT NULL,
        PRIMARY KEY (booking_id),
        FOREIGN KEY(device_id) REFERENCES device_table (id),
        FOREIGN KEY(user_id) REFERENCES user_table (id))`,
      'CREATE INDEX ix_booking_table_booking_id ON booking_table (booking_id)',
      'CREATE INDEX ix_booking_table_grouped_booking_id ON booking_table (grouped_booking_id)',
    ],
  },
  {
    name: 'booking_favorite',
    columns: ['id', 'user_id', 'name', 'grouped_booking_id', 'device_snapshot', 'created_at', 'updated_at'],
    ddl: [
      `CREATE TABLE booking_favorite (
        id SERIAL NOT NULL,
        user_id INTEGER NOT NULL,
        name VARCHAR(200) NOT NULL,
        grouped_booking_id VARCHAR(64) NOT NULL,
        device_snapshot JSON NOT NULL,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(user_id) REFERENCES user_table (id))`,
      'CREATE INDEX ix_booking_favorite_id ON booking_favorite (id)',
      'CREATE INDEX ix_booking_favorite_grouped_booking_id ON booking_favorite (grouped_booking_id)',
    ],
  },
  {
    name: 'topology_table',
    columns: ['id', 'user_id', 'name', 'nodes', 'edges', 'created_at', 'updated_at'],
    ddl: [
      `CREATE TABLE topology_table (
        id SERIAL NOT NULL,
        user_id INTEGER NOT NULL,
        name VARCHAR(200) NOT NULL,
        nodes JSON NOT NULL,
        edges JSON NOT NULL,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(user_id) REFERENCES user_table (id))`,
      'CREATE INDEX ix_topology_table_id ON topology_table (id)',
    ],
  },
  {
    name: 'topology_review',
    columns: [
      'id',
      'topology_id',
      'status',
      'conflict_count',
      'last_checked_at',
      'resolved_at',
      'resolved_by',
      'notes',
      'created_at',
      'updated_at',
    ],
    ddl: [
      `CREATE TABLE topology_review (
        id SERIAL NOT NULL,
        topology_id INTEGER NOT NULL,
        status VARCHAR(20) NOT NULL,
        conflict_count INTEGER NOT NULL,
        last_checked_at ${TS},
        resolved_at ${TS},
        resolved_by INTEGER,
        notes TEXT,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        PRIMARY KEY (id),
        UNIQUE (topology_id),
        FOREIGN KEY(topology_id) REFERENCES topology_table (id),
        FOREIGN KEY(resolved_by) REFERENCES user_table (id))`,
      'CREATE INDEX ix_topology_review_id ON topology_review (id)',
    ],
  },
  {
    name: 'admin_roles',
    columns: [
      'id',
      'user_id',
      'role',
      'status',
      'permissions',
      'approval_limits',
      'created_at',
      'updated_at',
    ],
    ddl: [
      `CREATE TABLE admin_roles (
        id SERIAL NOT NULL,
        user_id INTEGER NOT NULL,
        role VARCHAR(50) NOT NULL,
        status VARCHAR(20) NOT NULL,
        permissions JSON,
        approval_limits JSON,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        PRIMARY KEY (id),
        UNIQUE (user_id),
        FOREIGN KEY(user_id) REFERENCES user_table (id))`,
      'CREATE INDEX ix_admin_roles_id ON admin_roles (id)',
    ],
  },
  {
    name: 'admin_audit_log',
    columns: [
      'id',
      'actor_id',
      'actor_role',
      'action',
      'entity_type',
      'entity_id',
      'payload',
      'outcome',
      'message',
      'created_at',
    ],
    ddl: [
      `CREATE TABLE admin_audit_log (
        id SERIAL NOT NULL,
        actor_id INTEGER,
        actor_role VARCHAR(50),
        action VARCHAR(100) NOT NULL,
        entity_type VARCHAR(50) NOT NULL,
        entity_id VARCHAR(64),
        payload JSON,
        outcome VARCHAR(20) NOT NULL,
        message TEXT,
        created_at ${TS} NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(actor_id) REFERENCES user_table (id))`,
      'CREATE INDEX ix_admin_audit_log_id ON admin_audit_log (id)',
    ],
  },
  {
    name: 'admin_settings',
    columns: ['id', 'key', 'value', 'updated_at', 'updated_by'],
    ddl: [
      `CREATE TABLE admin_settings (
        id SERIAL NOT NULL,
        key VARCHAR(100) NOT NULL,
        value JSON NOT NULL,
        updated_at ${TS} NOT NULL,
        updated_by INTEGER,
        PRIMARY KEY (id),
        UNIQUE (key),
        FOREIGN KEY(updated_by) REFERENCES user_table (id))`,
      'CREATE INDEX ix_admin_settings_id ON admin_settings (id)',
    ],
  },
  {
    name: 'admin_invitations',
    columns: [
      'id',
      'email',
      'handle',
      'role',
      'invited_by',
      'token',
      'expires_at',
      'created_at',
      'accepted_at',
    ],
    ddl: [
      `CREATE TABLE admin_invitations (
        id SERIAL NOT NULL,
        email VARCHAR(200) NOT NULL,
        handle VARCHAR(100),
        role VARCHAR(50) NOT NULL,
        invited_by INTEGER,
        token VARCHAR(64) NOT NULL,
        expires_at ${TS} NOT NULL,
        created_at ${TS} NOT NULL,
        accepted_at ${TS},
        PRIMARY KEY (id),
        UNIQUE (token),
        FOREIGN KEY(invited_by) REFERENCES user_table (id))`,
      'CREATE INDEX ix_admin_invitations_id ON admin_invitations (id)',
    ],
  },
  {
    name: 'device_ownership',
    columns: ['id', 'device_id', 'owner_id', 'assigned_by', 'assigned_at', 'revoked_at'],
    ddl: [
      `CREATE TABLE device_ownership (
        id SERIAL NOT NULL,
        device_id INTEGER NOT NULL,
        owner_id INTEGER NOT NULL,
        assigned_by INTEGER,
        assigned_at ${TS} NOT NULL,
        revoked_at ${TS},
        PRIMARY KEY (id),
        FOREIGN KEY(device_id) REFERENCES device_table (id),
        FOREIGN KEY(owner_id) REFERENCES user_table (id),
        FOREIGN KEY(assigned_by) REFERENCES user_table (id))`,
      'CREATE INDEX ix_device_ownership_id ON device_ownership (id)',
    ],
  },
  {
    name: 'device_tags',
    columns: ['id', 'device_id', 'tag', 'created_at'],
    ddl: [
      `CREATE TABLE device_tags (
        id SERIAL NOT NULL,
        device_id INTEGER NOT NULL,
        tag VARCHAR(50) NOT NULL,
        created_at ${TS} NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(device_id) REFERENCES device_table (id))`,
      'CREATE INDEX ix_device_tags_id ON device_tags (id)',
    ],
  },
  {
    name: 'device_health_snapshot',
    columns: ['id', 'device_id', 'status', 'heartbeat_at', 'metrics', 'updated_at'],
    ddl: [
      `CREATE TABLE device_health_snapshot (
        id SERIAL NOT NULL,
        device_id INTEGER NOT NULL,
        status VARCHAR(50) NOT NULL,
        heartbeat_at ${TS},
        metrics JSON,
        updated_at ${TS} NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(device_id) REFERENCES device_table (id))`,
      'CREATE INDEX ix_device_health_snapshot_id ON device_health_snapshot (id)',
    ],
  },
  {
    name: 'devices',
    columns: [
      'id',
      'oi_id',
      'name',
      'device_type_id',
      'manufacturer_id',
      'model',
      'serial_number',
      'status',
      'site_id',
      'rack',
      'u_position',
      'hostname',
      'mgmt_ip',
      'polatis_name',
      'polatis_port_range',
      'owner_group',
      'notes',
      'created_at',
      'updated_at',
      'created_by_id',
      'updated_by_id',
    ],
    ddl: [
      `CREATE TABLE devices (
        id SERIAL NOT NULL,
        oi_id VARCHAR(50),
        name VARCHAR(200) NOT NULL,
        device_type_id INTEGER NOT NULL,
        manufacturer_id INTEGER,
        model VARCHAR(100),
        serial_number VARCHAR(100),
        status VARCHAR(50) NOT NULL,
        site_id INTEGER,
        rack VARCHAR(50),
        u_position INTEGER,
        hostname VARCHAR(100),
        mgmt_ip VARCHAR(50),
        polatis_name VARCHAR(100),
        polatis_port_range VARCHAR(100),
        owner_group VARCHAR(100),
        notes TEXT,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        created_by_id INTEGER,
        updated_by_id INTEGER,
        PRIMARY KEY (id),
        FOREIGN KEY(device_type_id) REFERENCES device_types (id),
        FOREIGN KEY(manufacturer_id) REFERENCES manufacturers (id),
        FOREIGN KEY(site_id) REFERENCES sites (id),
        FOREIGN KEY(created_by_id) REFERENCES user_table (id),
        FOREIGN KEY(updated_by_id) REFERENCES user_table (id))`,
      'CREATE INDEX ix_devices_id ON devices (id)',
      'CREATE UNIQUE INDEX ix_devices_oi_id ON devices (oi_id)',
      'CREATE INDEX ix_devices_name ON devices (name)',
      'CREATE INDEX ix_devices_device_type_id ON devices (device_type_id)',
      'CREATE INDEX ix_devices_manufacturer_id ON devices (manufacturer_id)',
      'CREATE UNIQUE INDEX ix_devices_serial_number ON devices (serial_number)',
      'CREATE INDEX ix_devices_status ON devices (status)',
      'CREATE INDEX ix_devices_site_id ON devices (site_id)',
    ],
  },
  {
    name: 'inventory_device_tags',
    columns: ['device_id', 'tag_id', 'created_at'],
    ddl: [
      `CREATE TABLE inventory_device_tags (
        device_id INTEGER NOT NULL,
        tag_id INTEGER NOT NULL,
        created_at ${TS} NOT NULL,
        PRIMARY KEY (device_id, tag_id),
        FOREIGN KEY(device_id) REFERENCES devices (id) ON DELETE CASCADE,
        FOREIGN KEY(tag_id) REFERENCES tags (id) ON DELETE CASCADE)`,
      'CREATE INDEX ix_inventory_device_tags_device_id ON inventory_device_tags (device_id)',
      'CREATE INDEX ix_inventory_device_tags_tag_id ON inventory_device_tags (tag_id)',
    ],
  },
  {
    name: 'device_history',
    columns: [
      'id',
      'device_id',
      'action',
      'field_name',
      'old_value',
      'new_value',
      'changed_by_id',
      'notes',
      'extra',
      'created_at',
    ],
    ddl: [
      `CREATE TABLE device_history (
        id SERIAL NOT NULL,
        device_id INTEGER NOT NULL,
        action VARCHAR(50) NOT NULL,
        field_name VARCHAR(100),
        old_value TEXT,
        new_value TEXT,
        changed_by_id INTEGER,
        notes TEXT,
        extra JSON,
        created_at ${TS} NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(device_id) REFERENCES devices (id) ON DELETE CASCADE,
        FOREIGN KEY(changed_by_id) REFERENCES user_table (id))`,
      'CREATE INDEX ix_device_history_id ON device_history (id)',
      'CREATE INDEX ix_device_history_device_id ON device_history (device_id)',
      'CREATE INDEX ix_device_history_created_at ON device_history (created_at)',
    ],
  },
  {
    name: 'maintenance_records',
    columns: [
      'id',
      'item_id',
      'maintenance_type',
      'description',
      'performed_by',
      'scheduled_date',
      'performed_date',
      'next_due_date',
      'cost',
      'parts_used',
      'status',
      'notes',
      'outcome',
      'extra',
      'created_at',
      'updated_at',
      'created_by_id',
    ],
    ddl: [
      `CREATE TABLE maintenance_records (
        id SERIAL NOT NULL,
        item_id INTEGER NOT NULL,
        maintenance_type VARCHAR(50) NOT NULL,
        description TEXT,
        performed_by VARCHAR(200),
        scheduled_date ${TS},
        performed_date ${TS},
        next_due_date ${TS},
        cost FLOAT,
        parts_used JSON,
        status VARCHAR(50) NOT NULL,
        notes TEXT,
        outcome VARCHAR(50),
        extra JSON,
        created_at ${TS} NOT NULL,
        updated_at ${TS} NOT NULL,
        created_by_id INTEGER,
        PRIMARY KEY (id),
        FOREIGN KEY(created_by_id) REFERENCES user_table (id))`,
      'CREATE INDEX ix_maintenance_records_id ON maintenance_records (id)',
      'CREATE INDEX ix_maintenance_records_item_id ON maintenance_records (item_id)',
    ],
  },
];

async function existingColumns(knex: Knex, table: string): Promise<string[] | null> {
  const { rows } = await knex.raw<{ rows: Array<{ column_name: string }> }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ?`,
    [table],
  );
  return rows.length === 0 ? null : rows.map((r) => r.column_name);
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE ${RECORD_TABLE} (
    table_name TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  await knex.raw(`COMMENT ON TABLE ${RECORD_TABLE} IS
    'provdb-worker: legacy tables the baseline migration created (absent ones only); its down() drops exactly these'`);
  for (const table of TABLES) {
    const columns = await existingColumns(knex, table.name);
    if (columns) {
      const missing = table.columns.filter((c) => !columns.includes(c));
      if (missing.length > 0) {
        const what = missing.length === 1 ? `column ${missing[0]} is` : `columns ${missing.join(', ')} are`;
        throw new Error(
          `cannot adopt legacy table ${table.name}: ${what} missing; this database does not have the ` +
            'legacy provdb schema (see docs/schema-baseline.md)',
        );
      }
      continue; // adopted: left exactly as it is
    }
    for (const statement of table.ddl) await knex.raw(statement);
    await knex(RECORD_TABLE).insert({ table_name: table.name });
  }
}

export async function down(knex: Knex): Promise<void> {
  const created = new Set(
    (await knex(RECORD_TABLE).select<Array<{ table_name: string }>>('table_name')).map((r) => r.table_name),
  );
  for (const table of [...TABLES].reverse()) {
    if (created.has(table.name)) await knex.schema.dropTable(table.name);
  }
  await knex.schema.dropTable(RECORD_TABLE);
}
