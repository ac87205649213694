/**
 * Writes a test history (see oracle.ts) into a migrated database the way the legacy backend
 * would: plain INSERTs with every NOT NULL column supplied. Instants are written as ISO strings,
 * which `timestamp without time zone` columns read as the UTC wall time they are.
 */
import type { Knex } from 'knex';
import type { History, HistoryBooking, HistoryRecord, HistorySnapshot } from './oracle';

const T = '2026-01-01T00:00:00Z';
export const USERS = [1, 2, 3, 4];
/** Inventory devices: 100 + scheduler id for each scheduler device, and one linked to none. */
export const UNLINKED_INVENTORY_ID = 199;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export async function resetHistory(knex: Knex): Promise<void> {
  await knex.raw(`TRUNCATE utilization_rollups, booking_table, device_health_snapshot, maintenance_records,
    device_tags, inventory_device_tags, device_table, devices, device_types, user_table RESTART IDENTITY CASCADE`);
  await knex('user_table').insert(
    USERS.map((id) => ({ id, username: `user${id}`, password: 'x', is_admin: false })),
  );
  await knex('device_types').insert({
    id: 1,
    name: 'otdr',
    category: 'optical',
    is_schedulable: true,
    is_has_ports: true,
    created_at: T,
    updated_at: T,
  });
}

export function bookingRow(b: HistoryBooking): Record<string, unknown> {
  return {
    booking_id: b.id,
    device_id: b.deviceId,
    user_id: b.userId,
    is_collaborator: b.isCollaborator,
    grouped_booking_id: `g${b.isCollaborator ? b.id - 1 : b.id}`,
    start_time: iso(b.start),
    end_time: iso(b.end),
    status: b.status,
    created_at: T,
    // Random histories overlap freely, as legacy data did: mark them so the constraint allows it.
    legacy_overlap: true,
  };
}

export function recordRow(r: HistoryRecord, updatedAt: Date = new Date(T)): Record<string, unknown> {
  return {
    id: r.id,
    item_id: 0,
    maintenance_type: 'calibration',
    scheduled_date: iso(r.scheduled),
    performed_date: iso(r.performed),
    status: r.status,
    device_id: r.inventoryDeviceId,
    created_at: T,
    updated_at: iso(updatedAt),
  };
}

export function snapshotRow(s: HistorySnapshot): Record<string, unknown> {
  return {
    id: s.id,
    device_id: s.deviceId,
    status: s.status,
    heartbeat_at: iso(s.heartbeatAt),
    updated_at: iso(s.updatedAt),
  };
}

export async function writeHistory(knex: Knex, h: History): Promise<void> {
  await resetHistory(knex);
  const inventory = [...h.devices.map((d) => 100 + d.id), UNLINKED_INVENTORY_ID];
  await knex('devices').insert(
    inventory.map((id) => ({
      id,
      name: `inv${id}`,
      device_type_id: 1,
      status: 'active',
      created_at: T,
      updated_at: T,
    })),
  );
  await knex('device_table').insert(
    h.devices.map((d) => ({
      id: d.id,
      Out_Port: 1,
      In_Port: 2,
      inventory_device_id: d.inventoryId,
      maintenance_starts_at: iso(d.maintStart),
      maintenance_ends_at: iso(d.maintEnd),
    })),
  );
  if (h.bookings.length > 0) await knex('booking_table').insert(h.bookings.map(bookingRow));
  if (h.records.length > 0) await knex('maintenance_records').insert(h.records.map((r) => recordRow(r)));
  if (h.snapshots.length > 0) await knex('device_health_snapshot').insert(h.snapshots.map(snapshotRow));
}

/** Rollup rows of [from, to) in the oracle's shape, ordered like it. */
export async function readRollups(knex: Knex, from: Date, to: Date) {
  const rows = await knex('utilization_rollups')
    .select(
      'device_id',
      'granularity',
      'bucket_start',
      'booked_seconds',
      'maintenance_seconds',
      'down_seconds',
      'idle_seconds',
      'capacity_seconds',
      'booking_count',
      'user_count',
    )
    .where('bucket_start', '>=', from.toISOString())
    .andWhere('bucket_start', '<', to.toISOString());
  return rows
    .map((r) => ({ ...r, bucket_start: (r.bucket_start as Date).toISOString() }))
    .sort(
      (a, b) =>
        a.device_id - b.device_id ||
        (a.granularity === b.granularity ? 0 : a.granularity === 'hour' ? -1 : 1) ||
        a.bucket_start.localeCompare(b.bucket_start),
    );
}
