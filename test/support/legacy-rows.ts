/**
 * Legacy databases for tests: the tables of `legacy-schema.ts` created with the DDL of
 * SQLAlchemy's create_all, and rows as the legacy backend writes them (every NOT NULL column
 * supplied by the client, ids from the SERIAL sequences, UTC in `timestamp` columns), including
 * the oddities a real provdb holds: free-text maintenance dates, duplicate scheduler tags, a
 * JSON string that looks like a number, json text with odd spacing and repeated keys.
 *
 * Ids are those of a fresh database (the sequences start at 1), in insertion order.
 */
import type { Knex } from 'knex';
import { createAllDdl, LEGACY_TABLES } from './legacy-schema';

export const LEGACY_ROWS: Readonly<Record<string, string>> = {
  user_table: `
    INSERT INTO user_table (discord_id, username, email, password, is_admin) VALUES
      ('184467440737095516', 'alice', 'alice@lab.example', '$2b$12$abcdefghijklmnopqrstuv', true),
      (NULL, 'bob', 'bob@lab.example', '$2b$12$bcdefghijklmnopqrstuvw', NULL),
      (NULL, 'zoë', NULL, '$2b$12$cdefghijklmnopqrstuvwx', false)`,
  device_table: `
    INSERT INTO device_table (polatis_name, "deviceType", "deviceName", ip_address, status,
                              maintenance_start, maintenance_end, "Out_Port", "In_Port") VALUES
      ('ROADM-A', 'ROADM', 'roadm-a', '10.10.0.11', 'available', '2024-05-01 08:00', '2024-05-01 17:00', 1, 2),
      ('AMP-1', 'Amplifier', 'amp-1', '10.10.0.12', 'maintenance', 'next tuesday', '', 3, 4),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL, 5, 6)`,
  device_types: `
    INSERT INTO device_types (name, category, description, is_schedulable, is_has_ports, created_at, updated_at) VALUES
      ('ROADM', 'optical', 'Reconfigurable add-drop multiplexer', true, true,
       '2024-01-02 10:00:00.123456', '2024-01-02 10:00:00.123456'),
      ('Server', 'compute', NULL, false, false, '2024-01-02 10:05:00', '2024-02-01 12:00:00')`,
  manufacturers: `
    INSERT INTO manufacturers (name, website, notes, created_at, updated_at) VALUES
      ('Polatis', 'https://www.polatis.example', 'switch vendor', '2024-01-02 10:00:00', '2024-01-02 10:00:00')`,
  sites: `
    INSERT INTO sites (name, address, notes, created_at, updated_at) VALUES
      ('Lab 2.14', 'Building 2, room 14', NULL, '2024-01-02 10:00:00', '2024-01-02 10:00:00')`,
  tags: `
    INSERT INTO tags (name, description, color, created_at) VALUES
      ('core', 'core network', '#ff8800', '2024-01-03 09:00:00'),
      ('testbed', NULL, NULL, '2024-01-03 09:00:01')`,
  booking_table: `
    INSERT INTO booking_table (device_id, user_id, is_collaborator, grouped_booking_id, start_time, end_time,
                               status, comment, collaborators, created_at) VALUES
      (1, 1, false, '0b9f6c1e-3f1a-4a55-9d7e-6c1e0b9f3f1a', '2024-06-03 09:00:00', '2024-06-03 12:00:00',
       'confirmed', 'OFC demo', '["bob"]', '2024-05-20 08:30:00.654321'),
      (1, 2, true, '0b9f6c1e-3f1a-4a55-9d7e-6c1e0b9f3f1a', '2024-06-03 09:00:00', '2024-06-03 12:00:00',
       'confirmed', NULL, '[]', '2024-05-20 08:30:00.654321'),
      (2, 2, false, '5d2e8a40-1c6b-4f0e-8a3d-2e8a401c6b4f', '2024-06-04 13:00:00', '2024-06-04 15:30:00',
       'Pending', 'needs approval', NULL, '2024-05-21 16:45:10'),
      (1, 3, false, 'legacy-42', '2024-06-05 00:00:00', '2024-06-05 01:00:00',
       NULL, NULL, '[ "zoë" ,"bob" ]', '2024-05-22 23:59:59.999999')`,
  booking_favorite: `
    INSERT INTO booking_favorite (user_id, name, grouped_booking_id, device_snapshot, created_at, updated_at) VALUES
      (1, 'OFC demo set', '0b9f6c1e-3f1a-4a55-9d7e-6c1e0b9f3f1a',
       '[{"id": 1, "deviceName": "roadm-a", "Out_Port": 1}]', '2024-05-20 08:31:00', '2024-05-20 08:31:00')`,
  topology_table: `
    INSERT INTO topology_table (user_id, name, nodes, edges, created_at, updated_at) VALUES
      (1, 'ring', '[{"id": "n1", "deviceId": 1}, {"id": "n2", "deviceId": 2}]',
       '[{"source": "n1", "target": "n2"}]', '2024-05-10 11:00:00', '2024-05-11 11:00:00'),
      (2, 'draft', '[]', '[]', '2024-05-12 11:00:00', '2024-05-12 11:00:00')`,
  topology_review: `
    INSERT INTO topology_review (topology_id, status, conflict_count, last_checked_at, resolved_at, resolved_by,
                                 notes, created_at, updated_at) VALUES
      (1, 'approved', 0, '2024-05-11 12:00:00', '2024-05-11 12:30:00', 1, 'looks fine',
       '2024-05-11 11:00:00', '2024-05-11 12:30:00')`,
  admin_roles: `
    INSERT INTO admin_roles (user_id, role, status, permissions, approval_limits, created_at, updated_at) VALUES
      (1, 'SuperAdmin', 'active', '{"bookings": ["approve", "reject"]}', '{"max_hours": 48}',
       '2024-01-01 00:00:00', '2024-01-01 00:00:00'),
      (2, 'Viewer', 'suspended', NULL, NULL, '2024-01-01 00:00:00', '2024-03-01 00:00:00')`,
  admin_audit_log: `
    INSERT INTO admin_audit_log (actor_id, actor_role, action, entity_type, entity_id, payload, outcome, message,
                                 created_at) VALUES
      (1, 'SuperAdmin', 'booking.approve', 'booking', '3', '{"reason": "ok"}', 'success', NULL,
       '2024-05-21 17:00:00'),
      (NULL, NULL, 'settings.update', 'setting', 'booking.max_hours', NULL, 'failure', 'no actor',
       '2024-05-21 17:01:00')`,
  admin_settings: `
    INSERT INTO admin_settings (key, value, updated_at, updated_by) VALUES
      ('booking.max_hours', '48', '2024-05-01 00:00:00', 1),
      ('banner.text', '"42"', '2024-05-01 00:00:00', NULL),
      ('approval', '{"mode":  "shadow", "mode": "enforce"}', '2024-05-01 00:00:00', 1)`,
  admin_invitations: `
    INSERT INTO admin_invitations (email, handle, role, invited_by, token, expires_at, created_at, accepted_at) VALUES
      ('carol@lab.example', 'carol', 'Viewer', 1, 'f3a9c1d2e4b5a6978877665544332211', '2024-06-01 00:00:00',
       '2024-05-25 00:00:00', NULL)`,
  device_ownership: `
    INSERT INTO device_ownership (device_id, owner_id, assigned_by, assigned_at, revoked_at) VALUES
      (1, 2, 1, '2024-02-01 09:00:00', NULL),
      (1, 3, NULL, '2024-01-01 09:00:00', '2024-01-31 09:00:00')`,
  device_tags: `
    INSERT INTO device_tags (device_id, tag, created_at) VALUES
      (1, 'Core', '2024-02-01 09:00:00'),
      (1, 'Lab', '2024-02-01 09:00:01'),
      (2, 'amp', '2024-02-01 09:00:02')`,
  device_health_snapshot: `
    INSERT INTO device_health_snapshot (device_id, status, heartbeat_at, metrics, updated_at) VALUES
      (1, 'up', '2024-06-01 10:00:00', '{"temp_c": 41.5}', '2024-06-01 10:00:00'),
      (1, 'degraded', NULL, NULL, '2024-06-01 10:05:00')`,
  devices: `
    INSERT INTO devices (oi_id, name, device_type_id, manufacturer_id, model, serial_number, status, site_id, rack,
                         u_position, hostname, mgmt_ip, polatis_name, polatis_port_range, owner_group, notes,
                         created_at, updated_at, created_by_id, updated_by_id) VALUES
      ('OI-0001', 'roadm-a', 1, 1, 'Series 7000', 'SN-7000-1', 'active', 1, 'R1', 12, 'roadm-a.lab', '10.10.0.11',
       'ROADM-A', '1-2', 'optics', NULL, '2024-01-05 10:00:00', '2024-01-06 10:00:00', 1, 2),
      (NULL, 'spare server', 2, NULL, NULL, NULL, 'retired', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       'from the old inventory', '2024-01-05 10:00:00', '2024-01-05 10:00:00', NULL, NULL)`,
  inventory_device_tags: `
    INSERT INTO inventory_device_tags (device_id, tag_id, created_at) VALUES
      (1, 1, '2024-01-07 10:00:00'),
      (1, 2, '2024-01-07 10:00:01'),
      (2, 2, '2024-01-07 10:00:02')`,
  device_history: `
    INSERT INTO device_history (device_id, action, field_name, old_value, new_value, changed_by_id, notes, extra,
                                created_at) VALUES
      (1, 'created', NULL, NULL, NULL, 1, NULL, NULL, '2024-01-05 10:00:00'),
      (1, 'updated', 'status', 'staged', 'active', 2, 'racked', '{"ticket": 77}', '2024-01-06 10:00:00')`,
  maintenance_records: `
    INSERT INTO maintenance_records (item_id, maintenance_type, description, performed_by, scheduled_date,
                                     performed_date, next_due_date, cost, parts_used, status, notes, outcome, extra,
                                     created_at, updated_at, created_by_id) VALUES
      (9001, 'calibration', 'yearly calibration', 'Vendor field engineer', '2024-03-01 09:00:00',
       '2024-03-01 11:00:00', '2025-03-01 09:00:00', 125.5, '["fibre cleaner"]', 'completed', NULL, 'pass', NULL,
       '2024-02-20 09:00:00', '2024-03-01 11:00:00', 1)`,
};

/**
 * Creates legacy tables the way create_all does, then inserts their rows. `tables` picks a
 * subset (in spec order); `omitColumns` drops columns from a table, to build a schema that is
 * not the legacy one.
 */
export async function createLegacyTables(
  knex: Knex,
  options: { tables?: readonly string[]; omitColumns?: Record<string, string[]>; rows?: boolean } = {},
): Promise<void> {
  const wanted = LEGACY_TABLES.filter((t) => !options.tables || options.tables.includes(t.name));
  for (const table of wanted) {
    for (const statement of createAllDdl(table, { omitColumns: options.omitColumns?.[table.name] })) {
      await knex.raw(statement);
    }
  }
  if (options.rows === false) return;
  await insertLegacyRows(
    knex,
    wanted.map((t) => t.name),
  );
}

/** Inserts the legacy rows into existing tables (all of them unless `tables` is given). */
export async function insertLegacyRows(knex: Knex, tables?: readonly string[]): Promise<void> {
  for (const table of LEGACY_TABLES) {
    if (tables && !tables.includes(table.name)) continue;
    const sql = LEGACY_ROWS[table.name];
    if (!sql) throw new Error(`no legacy rows for ${table.name}`);
    await knex.raw(sql);
  }
}

/**
 * The table `maintenance_records.item_id` once referenced. Its columns are not described
 * anywhere; a live provdb may still hold it. This stand-in shows it is left alone.
 */
export async function createInventoryItems(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE TABLE inventory_items (id SERIAL NOT NULL, name VARCHAR(200) NOT NULL, PRIMARY KEY (id))`,
  );
  await knex.raw(`INSERT INTO inventory_items (name) VALUES ('patch panel 3'), ('OTDR')`);
}
