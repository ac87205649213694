/**
 * Devices a topology names, with their maintenance windows, in two set-based queries whatever
 * the number of devices: one over `linked_devices` (by id and by polatis name), one over
 * `maintenance_records` (mapped to scheduler devices through `device_table.inventory_device_id`).
 *
 * Maintenance windows (half-open, see docs/topologies.md "Where the facts come from"):
 * - the scheduler's typed window `device_table.maintenance_starts_at/ends_at`: both set, as
 *   they are; only a start, the 24 hours from it (the end is unknown); only an end, from the
 *   check until that end (the device is taken to be under maintenance until then);
 * - an inventory maintenance record (dates only, no times of day): from its scheduled date (or
 *   its performed date, whichever is earlier) until its performed date when that is later, else
 *   for 24 hours; a record in progress and not yet performed lasts at least until 24 hours
 *   after the check; cancelled and completed records are ignored.
 * Windows that are over at the check are left out.
 */
import type { Knex } from 'knex';
import { type MaintenanceWindow, polatisNameKey, type TopologyDeviceFacts } from './facts';
import type { Interval } from './intervals';

const DAY_MS = 86_400_000;

/** `maintenance_records.status` values (trimmed, lower-cased) of work that will not happen. */
export const CANCELLED_RECORD_STATUSES: readonly string[] = ['cancelled', 'canceled'];
/** ... of work that is over: the device is back. */
export const COMPLETED_RECORD_STATUSES: readonly string[] = ['completed', 'complete', 'done'];
/** ... of work under way: it lasts until performed. */
export const IN_PROGRESS_RECORD_STATUSES: readonly string[] = ['in_progress', 'in progress', 'in-progress'];

const norm = (status: string | null): string => (status ?? '').trim().toLowerCase();
const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);
const plusMs = (date: Date, ms: number): Date => new Date(date.getTime() + ms);

/** The window of the scheduler's typed maintenance columns, or null when there is none. */
export function deviceTableWindow(startsAt: Date | null, endsAt: Date | null, now: Date): Interval | null {
  if (startsAt && endsAt) return endsAt.getTime() > startsAt.getTime() ? { startsAt, endsAt } : null;
  if (startsAt) return { startsAt, endsAt: plusMs(startsAt, DAY_MS) };
  if (endsAt) return endsAt.getTime() > now.getTime() ? { startsAt: now, endsAt } : null;
  return null;
}

export interface MaintenanceRecordDates {
  status: string | null;
  scheduledDate: Date | null;
  performedDate: Date | null;
}

/** The window of an inventory maintenance record, or null when it blocks nothing. */
export function maintenanceRecordWindow(record: MaintenanceRecordDates, now: Date): Interval | null {
  const status = norm(record.status);
  if (CANCELLED_RECORD_STATUSES.includes(status) || COMPLETED_RECORD_STATUSES.includes(status)) return null;
  const { scheduledDate: scheduled, performedDate: performed } = record;
  const startsAt =
    scheduled && performed
      ? scheduled.getTime() <= performed.getTime()
        ? scheduled
        : performed
      : (scheduled ?? performed);
  if (!startsAt) return null;
  if (performed && performed.getTime() > startsAt.getTime()) return { startsAt, endsAt: performed };
  const day = plusMs(startsAt, DAY_MS);
  if (!performed && IN_PROGRESS_RECORD_STATUSES.includes(status)) {
    return { startsAt, endsAt: later(day, plusMs(now, DAY_MS)) };
  }
  return { startsAt, endsAt: day };
}

interface LinkedDeviceRow {
  device_id: number;
  polatis_name: string | null;
  device_name: string | null;
  inventory_name: string | null;
  device_type_id: number | null;
  device_type_name: string | null;
  category: string | null;
  is_schedulable: boolean;
  scheduler_status: string | null;
  inventory_status: string | null;
  in_port: number | null;
  out_port: number | null;
  polatis_port_range: string | null;
  maintenance_starts_at: Date | null;
  maintenance_ends_at: Date | null;
}

interface RecordRow {
  device_id: number;
  record_id: number;
  maintenance_type: string | null;
  status: string | null;
  scheduled_date: Date | null;
  performed_date: Date | null;
}

export interface DeviceQuery {
  /** `device_table.id`s. */
  deviceIds: readonly number[];
  /** Polatis names, as `polatisNameKey` gives them. */
  polatisNames: readonly string[];
  /** The check's clock: windows over by then are left out. */
  now: Date;
  /** Load maintenance windows (default true); other topologies' devices need only ports. */
  maintenance?: boolean;
}

/** SQL for `polatisNameKey(column)`: trimmed of white space, lower-cased. */
export function polatisNameKeySql(column: string): string {
  return `lower(regexp_replace(${column}, '^[[:space:]]+|[[:space:]]+$', '', 'g'))`;
}

/** Every device with one of the ids or polatis names: one query, plus one for maintenance. */
export async function loadDevices(db: Knex, query: DeviceQuery): Promise<TopologyDeviceFacts[]> {
  if (query.deviceIds.length === 0 && query.polatisNames.length === 0) return [];
  const { rows } = await db.raw<{ rows: LinkedDeviceRow[] }>(
    `SELECT device_id, polatis_name, device_name, inventory_name, device_type_id, device_type_name,
            category, is_schedulable, scheduler_status, inventory_status, in_port, out_port, polatis_port_range,
            maintenance_starts_at, maintenance_ends_at
       FROM linked_devices
      WHERE device_id = ANY(?::int[]) OR ${polatisNameKeySql('polatis_name')} = ANY(?::text[])
      ORDER BY device_id`,
    [[...query.deviceIds], [...query.polatisNames]],
  );
  const windows = new Map<number, MaintenanceWindow[]>();
  const push = (deviceId: number, window: MaintenanceWindow) => {
    const list = windows.get(deviceId);
    if (list) list.push(window);
    else windows.set(deviceId, [window]);
  };
  const now = query.now;
  if (query.maintenance ?? true) {
    for (const row of rows) {
      const typed = deviceTableWindow(row.maintenance_starts_at, row.maintenance_ends_at, now);
      if (typed && typed.endsAt.getTime() > now.getTime())
        push(row.device_id, { ...typed, source: 'device_table' });
    }
    for (const record of await loadRecords(
      db,
      rows.map((r) => r.device_id),
      now,
    )) {
      const window = maintenanceRecordWindow(
        { status: record.status, scheduledDate: record.scheduled_date, performedDate: record.performed_date },
        now,
      );
      if (!window || window.endsAt.getTime() <= now.getTime()) continue;
      push(record.device_id, {
        ...window,
        source: 'maintenance_record',
        recordId: record.record_id,
        label: record.maintenance_type,
      });
    }
  }
  return rows.map((row) => ({
    deviceId: row.device_id,
    name: row.device_name ?? row.inventory_name,
    polatisName: row.polatis_name,
    deviceType: row.device_type_name,
    category: row.category,
    isSchedulable: row.device_type_id === null ? null : row.is_schedulable,
    schedulerStatus: row.scheduler_status,
    inventoryStatus: row.inventory_status,
    inPort: row.in_port,
    outPort: row.out_port,
    polatisPortRange: row.polatis_port_range,
    maintenance: (windows.get(row.device_id) ?? []).sort(
      (a, b) => a.startsAt.getTime() - b.startsAt.getTime(),
    ),
  }));
}

/**
 * Maintenance records of these scheduler devices that may still matter at `now`. A superset:
 * no window ends later than a day after its latest date, except records in progress;
 * `maintenanceRecordWindow` decides exactly.
 */
async function loadRecords(db: Knex, deviceIds: readonly number[], now: Date): Promise<RecordRow[]> {
  if (deviceIds.length === 0) return [];
  const { rows } = await db.raw<{ rows: RecordRow[] }>(
    `SELECT t.id AS device_id, r.id AS record_id, r.maintenance_type, r.status, r.scheduled_date,
            r.performed_date
       FROM device_table t
       JOIN maintenance_records r ON r.device_id = t.inventory_device_id
      WHERE t.id = ANY(?::int[])
        AND (greatest(r.scheduled_date, r.performed_date) > ?::timestamp - interval '1 day'
             OR lower(btrim(r.status)) = ANY(?::text[]))
      ORDER BY t.id, r.id`,
    [[...deviceIds], now.toISOString(), [...IN_PROGRESS_RECORD_STATUSES]],
  );
  return rows;
}

/** Devices by `polatisNameKey` of their polatis name. */
export function devicesByName(devices: Iterable<TopologyDeviceFacts>): Map<string, TopologyDeviceFacts[]> {
  const byName = new Map<string, TopologyDeviceFacts[]>();
  for (const device of devices) {
    if (device.polatisName === null || device.polatisName.trim() === '') continue;
    const key = polatisNameKey(device.polatisName);
    const list = byName.get(key);
    if (list) list.push(device);
    else byName.set(key, [device]);
  }
  return byName;
}
