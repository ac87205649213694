/**
 * Writes rows the way the legacy backend does: plain INSERTs into the legacy tables, every NOT
 * NULL column supplied by the client (the legacy schema has no server defaults). Used to plant
 * dirty legacy data in baseline databases and to play the backend's writes after alignment.
 */
import type { Knex } from 'knex';
import { migrateTo } from '../../src/db/migrator';

export const BASELINE = '20261124000000_legacy_baseline';

const T0 = '2026-01-05 08:00:00';

type Row = Record<string, unknown>;

async function insert(knex: Knex, table: string, row: Row, pk = 'id'): Promise<number> {
  const [out] = await knex(table).insert(row).returning(pk);
  return (out as Row)[pk] as number;
}

export function migrateToBaseline(knex: Knex): Promise<unknown> {
  return migrateTo(knex, BASELINE);
}

let userCounter = 0;
export function insertUser(knex: Knex, row: Row = {}): Promise<number> {
  userCounter += 1;
  return insert(knex, 'user_table', {
    username: `user${userCounter}`,
    password: 'x',
    is_admin: false,
    ...row,
  });
}

/** A scheduler device (`device_table`). */
export function insertSchedulerDevice(knex: Knex, row: Row = {}): Promise<number> {
  return insert(knex, 'device_table', { Out_Port: 1, In_Port: 2, ...row });
}

export function insertDeviceType(knex: Knex, row: Row): Promise<number> {
  return insert(knex, 'device_types', {
    category: 'optical',
    is_schedulable: true,
    is_has_ports: true,
    created_at: T0,
    updated_at: T0,
    ...row,
  });
}

export function insertSite(knex: Knex, name: string): Promise<number> {
  return insert(knex, 'sites', { name, created_at: T0, updated_at: T0 });
}

export function insertManufacturer(knex: Knex, name: string): Promise<number> {
  return insert(knex, 'manufacturers', { name, created_at: T0, updated_at: T0 });
}

export function insertTag(knex: Knex, name: string): Promise<number> {
  return insert(knex, 'tags', { name, created_at: T0 });
}

/** An inventory device (`devices`); `device_type_id` is required by the legacy schema. */
export function insertInventoryDevice(knex: Knex, row: Row & { device_type_id: number }): Promise<number> {
  return insert(knex, 'devices', {
    name: `inv-${String(row.polatis_name ?? 'x')}`,
    status: 'active',
    created_at: T0,
    updated_at: T0,
    ...row,
  });
}

export async function tagInventoryDevice(knex: Knex, deviceId: number, tagId: number): Promise<void> {
  await knex('inventory_device_tags').insert({ device_id: deviceId, tag_id: tagId, created_at: T0 });
}

export function insertDeviceTag(knex: Knex, deviceId: number, tag: string, createdAt = T0): Promise<number> {
  return insert(knex, 'device_tags', { device_id: deviceId, tag, created_at: createdAt });
}

let groupCounter = 0;
export interface BookingInput {
  device_id: number;
  user_id: number;
  start_time: string;
  end_time: string;
  status?: string | null;
  is_collaborator?: boolean;
  grouped_booking_id?: string;
}
export function insertBooking(knex: Knex, row: BookingInput): Promise<number> {
  groupCounter += 1;
  return insert(
    knex,
    'booking_table',
    {
      is_collaborator: false,
      grouped_booking_id: `g-${groupCounter}`,
      status: 'confirmed',
      collaborators: JSON.stringify([]),
      created_at: T0,
      ...row,
    },
    'booking_id',
  );
}

export function insertOwnership(
  knex: Knex,
  row: Row & { device_id: number; owner_id: number },
): Promise<number> {
  return insert(knex, 'device_ownership', { assigned_at: T0, revoked_at: null, ...row });
}

export function insertHealthSnapshot(knex: Knex, row: Row & { device_id: number }): Promise<number> {
  return insert(knex, 'device_health_snapshot', { status: 'up', updated_at: T0, ...row });
}

export function insertAuditLog(knex: Knex, row: Row): Promise<number> {
  return insert(knex, 'admin_audit_log', {
    action: 'update',
    entity_type: 'device',
    outcome: 'success',
    created_at: T0,
    ...row,
  });
}

export function insertMaintenanceRecord(knex: Knex, row: Row & { item_id: number }): Promise<number> {
  return insert(knex, 'maintenance_records', {
    maintenance_type: 'calibration',
    status: 'scheduled',
    created_at: T0,
    updated_at: T0,
    ...row,
  });
}

/** The SQLSTATE of a failed query (pg puts it on `code`). */
export async function sqlstateOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}
