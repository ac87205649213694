/**
 * Devices of the seeded lab, written as the legacy backend writes them: sites, manufacturers,
 * device types, inventory devices with tags, scheduler devices (`device_table`, matched to the
 * inventory by alignment's triggers, not by us) with their string tags and legacy maintenance
 * strings, ownerships, health snapshots, maintenance records and the inventory history.
 */
import { DEVICE_TYPES, INVENTORY_TAGS, MANUFACTURERS, OWNER_GROUPS, SCHEDULER_TAGS, SITES } from './catalog';
import { at, fromNow, insertRows, type SeedContext } from './context';
import { type DevicePlan, type PlannedDevice, planDevices, type ScenarioDeviceKey } from './device-plan';
import { seedHealth, seedHistory, seedMaintenanceRecords, seedOwnerships } from './seed-device-state';
import type { SeededPeople, SeededUser } from './seed-people';

export interface SeededDevice {
  plan: PlannedDevice;
  /** `devices.id`. */
  inventoryId: number;
  /** `device_table.id` (null: inventory only). */
  schedulerId: number | null;
}

/** A legacy maintenance window of `device_table`, as the strings were written. */
export interface LegacyWindow {
  schedulerId: number;
  start: string | null;
  end: string | null;
  /** What alignment should make of it. */
  expect: 'parsed' | 'unparseable' | 'end_before_start' | 'partial' | 'empty';
}

export interface SeededDevices {
  plan: DevicePlan;
  devices: SeededDevice[];
  siteIds: number[];
  /** Scheduler devices that may be booked (schedulable type, not retired or spare). */
  bookable: SeededDevice[];
  scenario: Record<ScenarioDeviceKey, SeededDevice>;
  unmatchedSchedulerId: number;
  windows: LegacyWindow[];
  /** Active ownerships: scheduler device id -> owner. */
  owners: Map<number, SeededUser>;
}

const pad = (n: number) => String(n).padStart(2, '0');
const isoMinute = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
const isoZ = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
const usMinute = (d: Date) =>
  `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
const isoDate = (d: Date) => d.toISOString().slice(0, 10);

export async function seedDevices(ctx: SeedContext, people: SeededPeople): Promise<SeededDevices> {
  const { rng, db } = ctx;
  const plan = planDevices(rng, ctx.options);
  const longAgo = fromNow(ctx, -24 * 900);
  const staff = [people.admin, ...people.managers];

  const sites = await insertRows<{ id: number; name: string }>(
    db,
    'sites',
    SITES.slice(0, ctx.options.sites).map((s) => ({
      name: s.name,
      address: s.address,
      notes: null,
      created_at: longAgo,
      updated_at: longAgo,
    })),
    ['id', 'name'],
  );
  const siteId = new Map(sites.map((s) => [s.name, s.id]));
  const manufacturers = await insertRows<{ id: number; name: string }>(
    db,
    'manufacturers',
    MANUFACTURERS.map((m) => ({ ...m, notes: null, created_at: longAgo, updated_at: longAgo })),
    ['id', 'name'],
  );
  const manufacturerId = new Map(manufacturers.map((m) => [m.name, m.id]));
  const types = await insertRows<{ id: number; name: string }>(
    db,
    'device_types',
    DEVICE_TYPES.map((t) => ({
      name: t.name,
      category: t.category,
      description: t.description,
      is_schedulable: t.schedulable,
      is_has_ports: t.hasPorts,
      created_at: longAgo,
      updated_at: longAgo,
    })),
    ['id', 'name'],
  );
  const typeId = new Map(types.map((t) => [t.name, t.id]));
  const tags = await insertRows<{ id: number; name: string }>(
    db,
    'tags',
    INVENTORY_TAGS.map((t) => ({ ...t, created_at: longAgo })),
    ['id', 'name'],
  );

  // Inventory devices.
  const inventoryRows = plan.devices.map((d) => {
    const created = fromNow(ctx, -24 * rng.int(60, 800));
    const status =
      d.role === 'spare'
        ? 'spare'
        : d.role === 'retired'
          ? 'retired'
          : d.role === 'maintenance_now'
            ? 'in_repair'
            : 'active';
    return {
      oi_id: d.oiId,
      name: `${d.manufacturer ?? 'Generic'} ${d.model}${d.polatisName ? ` (${d.polatisName})` : ` #${d.index + 1}`}`,
      device_type_id: typeId.get(d.type.name),
      manufacturer_id: d.manufacturer ? manufacturerId.get(d.manufacturer) : null,
      model: d.model,
      serial_number: `SN-${d.site.code}${String(d.index + 1).padStart(5, '0')}-${rng.hex(4).toUpperCase()}`,
      status,
      site_id: siteId.get(d.site.name),
      rack: d.role === 'spare' ? null : `R${pad(rng.int(1, 12))}`,
      u_position: d.role === 'spare' ? null : rng.int(1, 42),
      hostname: d.hostname,
      mgmt_ip: d.mgmtIp,
      polatis_name: d.polatisName,
      polatis_port_range: d.portRange,
      owner_group: rng.pick(OWNER_GROUPS),
      notes: d.role === 'spare' ? 'Spare, shelf B2' : null,
      created_at: created,
      updated_at: d.role === 'ordinary' ? created : fromNow(ctx, -24 * 2),
      created_by_id: rng.pick(staff).id,
      updated_by_id: d.role === 'ordinary' ? null : people.admin.id,
    };
  });
  const inventory = await insertRows<{ id: number; oi_id: string }>(db, 'devices', inventoryRows, [
    'id',
    'oi_id',
  ]);
  const inventoryId = new Map(inventory.map((r) => [r.oi_id, r.id]));

  await insertRows(
    db,
    'inventory_device_tags',
    plan.devices.flatMap((d) => {
      const chosen = rng.shuffle(tags).slice(0, rng.int(0, 3));
      return chosen.map((t) => ({ device_id: inventoryId.get(d.oiId), tag_id: t.id, created_at: longAgo }));
    }),
  );

  // Scheduler devices: the legacy backend knows nothing of inventory ids; alignment's triggers
  // link them by polatis name and type.
  const unmatchedPort = plan.nextPort[plan.unmatched.siteIndex] as number;
  plan.nextPort[plan.unmatched.siteIndex] = unmatchedPort + 2;
  const withRow = plan.devices.filter((d) => d.hasSchedulerRow);
  const schedulerRows = [
    ...withRow.map((d) => ({
      polatis_name: d.scheduler.polatisName,
      deviceType: d.scheduler.deviceType,
      deviceName: d.scheduler.deviceName,
      ip_address: d.mgmtIp,
      status: d.scheduler.status,
      maintenance_start: null as string | null,
      maintenance_end: null as string | null,
      Out_Port: d.outPort,
      In_Port: d.inPort,
    })),
    {
      polatis_name: plan.unmatched.polatisName,
      deviceType: plan.unmatched.deviceType,
      deviceName: plan.unmatched.deviceName,
      ip_address: null,
      status: 'available',
      maintenance_start: null,
      maintenance_end: null,
      Out_Port: unmatchedPort + 1,
      In_Port: unmatchedPort,
    },
  ];
  const windows = planWindows(ctx, schedulerRows, withRow);
  const scheduler = await insertRows<{ id: number; deviceName: string }>(db, 'device_table', schedulerRows, [
    'id',
    'deviceName',
  ]);
  const schedulerIdByName = new Map(scheduler.map((r) => [r.deviceName, r.id]));
  const devices: SeededDevice[] = plan.devices.map((d) => ({
    plan: d,
    inventoryId: inventoryId.get(d.oiId) as number,
    schedulerId: d.hasSchedulerRow ? (schedulerIdByName.get(d.scheduler.deviceName as string) ?? null) : null,
  }));
  const unmatchedSchedulerId = schedulerIdByName.get(plan.unmatched.deviceName) as number;
  const resolvedWindows = windows.map((w) => ({
    ...w,
    schedulerId: schedulerIdByName.get(w.deviceName) as number,
  }));

  // Scheduler string tags, unique per device once trimmed and lower-cased (alignment enforces it).
  await insertRows(
    db,
    'device_tags',
    devices.flatMap((d) => {
      if (d.schedulerId === null) return [];
      const byName = new Map<string, string>();
      for (const tag of rng.shuffle(SCHEDULER_TAGS).slice(0, rng.int(0, 2))) {
        byName.set(tag.trim().toLowerCase(), byName.get(tag.trim().toLowerCase()) ?? tag);
      }
      return [...byName.values()].map((tag) => ({
        device_id: d.schedulerId,
        tag,
        created_at: fromNow(ctx, -24 * rng.int(10, 300)),
      }));
    }),
  );

  const bookable = devices.filter(
    (d) => d.schedulerId !== null && d.plan.type.schedulable && d.plan.role !== 'retired',
  );
  const scenario = Object.fromEntries(
    devices.filter((d) => d.plan.scenario !== null).map((d) => [d.plan.scenario, d]),
  ) as Record<ScenarioDeviceKey, SeededDevice>;

  const owners = await seedOwnerships(ctx, people, bookable, scenario);
  await seedHealth(ctx, devices, unmatchedSchedulerId);
  await seedMaintenanceRecords(ctx, people, devices);
  await seedHistory(ctx, people, devices, inventoryRows);

  return {
    plan,
    devices,
    siteIds: sites.map((s) => s.id),
    bookable,
    scenario,
    unmatchedSchedulerId,
    windows: resolvedWindows,
    owners,
  };
}

/**
 * Legacy maintenance strings in the formats people typed, written into `schedulerRows` in place:
 * under way now and in three days (both parsed), a past one in US format, a whole future day,
 * and the odd ones (unparseable, inverted, half-filled, blank).
 */
function planWindows(
  ctx: SeedContext,
  rows: Array<{
    deviceName: string | null;
    maintenance_start: string | null;
    maintenance_end: string | null;
  }>,
  withRow: PlannedDevice[],
): Array<Omit<LegacyWindow, 'schedulerId'> & { deviceName: string }> {
  const out: Array<Omit<LegacyWindow, 'schedulerId'> & { deviceName: string }> = [];
  const set = (
    device: PlannedDevice,
    start: string | null,
    end: string | null,
    expect: LegacyWindow['expect'],
  ) => {
    const row = rows[withRow.indexOf(device)];
    if (!row) return;
    row.maintenance_start = start;
    row.maintenance_end = end;
    out.push({ deviceName: device.scheduler.deviceName as string, start, end, expect });
  };
  const now = withRow.find((d) => d.role === 'maintenance_now');
  if (now) set(now, isoMinute(at(ctx, -1, 8 * 60)), isoMinute(at(ctx, 2, 18 * 60)), 'parsed');
  const soon = withRow.find((d) => d.role === 'maintenance_soon');
  if (soon) set(soon, isoZ(at(ctx, 3, 6 * 60)), isoZ(at(ctx, 3, 12 * 60)), 'parsed');
  const others = ctx.rng.shuffle(
    withRow.filter((d) => d.role === 'ordinary' && d.scenario === null && d.type.schedulable),
  );
  const odd: Array<[string | null, string | null, LegacyWindow['expect']]> = [
    [usMinute(at(ctx, -10, 8 * 60)), usMinute(at(ctx, -10, 17 * 60)), 'parsed'],
    [isoDate(at(ctx, 20)), isoDate(at(ctx, 21)), 'parsed'],
    ['next tuesday', 'after the demo', 'unparseable'],
    [isoMinute(at(ctx, -5, 12 * 60)), isoMinute(at(ctx, -5, 8 * 60)), 'end_before_start'],
    [isoMinute(at(ctx, 12, 9 * 60)), '', 'partial'],
    ['', '', 'empty'],
  ];
  odd.forEach(([start, end, expect], i) => {
    const device = others[i];
    if (device) set(device, start, end, expect);
  });
  return out;
}
