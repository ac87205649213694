/**
 * What happened to the seeded devices over time: who owns them (with earlier, revoked owners),
 * their health snapshots, maintenance records (done, under way, scheduled, and one legacy record
 * pointing at no device) and the inventory's history entries.
 */
import { MAINTENANCE_TYPES } from './catalog';
import { at, fromNow, insertRows, json, type SeedContext } from './context';
import type { ScenarioDeviceKey } from './device-plan';
import type { SeededDevice } from './seed-devices';
import type { SeededPeople, SeededUser } from './seed-people';

export async function seedOwnerships(
  ctx: SeedContext,
  people: SeededPeople,
  bookable: SeededDevice[],
  scenario: Record<ScenarioDeviceKey, SeededDevice>,
): Promise<Map<number, SeededUser>> {
  const { rng } = ctx;
  const candidates = [...people.researchers.slice(4), ...people.managers];
  const pool = candidates.length > 0 ? candidates : people.managers;
  const owners = new Map<number, SeededUser>();
  const rows: Array<Record<string, unknown>> = [];
  const ownedScenario = scenario.owned;
  const ownerOfScenario = people.researchers[2] as SeededUser;
  owners.set(ownedScenario.schedulerId as number, ownerOfScenario);
  const plain = bookable.filter((d) => d.plan.scenario === null);
  for (const device of rng.shuffle(plain).slice(0, Math.round(plain.length * 0.25))) {
    owners.set(device.schedulerId as number, rng.pick(pool));
  }
  for (const [deviceId, owner] of [...owners].sort((a, b) => a[0] - b[0])) {
    // Some devices changed hands: the earlier owner's assignment is revoked, not deleted.
    if (rng.chance(0.2)) {
      const previous = rng.pick(people.researchers);
      if (previous.id !== owner.id) {
        rows.push({
          device_id: deviceId,
          owner_id: previous.id,
          assigned_by: people.admin.id,
          assigned_at: fromNow(ctx, -24 * 400),
          revoked_at: fromNow(ctx, -24 * 120),
        });
      }
    }
    rows.push({
      device_id: deviceId,
      owner_id: owner.id,
      assigned_by: rng.pick([people.admin, ...people.managers]).id,
      assigned_at: fromNow(ctx, -24 * rng.int(30, 110)),
      revoked_at: null,
    });
  }
  await insertRows(ctx.db, 'device_ownership', rows);
  return owners;
}

export async function seedHealth(
  ctx: SeedContext,
  devices: SeededDevice[],
  unmatchedId: number,
): Promise<void> {
  const { rng } = ctx;
  const rows: Array<Record<string, unknown>> = [];
  for (const d of devices) {
    if (d.schedulerId === null) continue;
    for (const hoursAgo of [24, rng.int(1, 10) / 60]) {
      const status =
        d.plan.role === 'maintenance_now'
          ? 'maintenance'
          : d.plan.role === 'retired'
            ? 'offline'
            : rng.chance(0.08)
              ? 'degraded'
              : 'up';
      rows.push({
        device_id: d.schedulerId,
        status,
        heartbeat_at: status === 'offline' ? fromNow(ctx, -24 * 30) : fromNow(ctx, -hoursAgo),
        metrics: json({
          temperature_c: rng.float(28, 55),
          optical_power_dbm: rng.float(-12, 3, 2),
          uptime_s: rng.int(3_600, 9_000_000),
        }),
        updated_at: fromNow(ctx, -hoursAgo),
      });
    }
  }
  rows.push({
    device_id: unmatchedId,
    status: 'unknown',
    heartbeat_at: null,
    metrics: null,
    updated_at: fromNow(ctx, -24 * 90),
  });
  await insertRows(ctx.db, 'device_health_snapshot', rows);
}

export async function seedMaintenanceRecords(
  ctx: SeedContext,
  people: SeededPeople,
  devices: SeededDevice[],
): Promise<void> {
  const { rng } = ctx;
  const names = [...people.managers, people.admin].map((u) => u.username);
  const base = (d: SeededDevice | null, itemId: number) => ({
    item_id: itemId,
    device_id: d ? d.inventoryId : null,
    description: null as string | null,
    performed_by: rng.pick(names),
    scheduled_date: null as Date | null,
    performed_date: null as Date | null,
    next_due_date: null as Date | null,
    cost: null as number | null,
    parts_used: null as string | null,
    notes: null as string | null,
    outcome: null as string | null,
    extra: null as string | null,
    created_by_id: people.admin.id,
  });
  const rows: Array<Record<string, unknown>> = [];
  for (const d of devices) {
    if (d.plan.role === 'server' || !rng.chance(0.35)) continue;
    const performed = fromNow(ctx, -24 * rng.int(15, 200));
    rows.push({
      ...base(d, d.inventoryId),
      maintenance_type: rng.pick(MAINTENANCE_TYPES.slice(0, 3)),
      scheduled_date: performed,
      performed_date: performed,
      next_due_date: new Date(performed.getTime() + 180 * 86_400_000),
      cost: rng.chance(0.5) ? rng.float(150, 2_500, 2) : null,
      parts_used: rng.chance(0.3) ? json(['LC/UPC connector', 'cleaning cassette']) : null,
      status: 'completed',
      outcome: 'pass',
      created_at: performed,
      updated_at: performed,
    });
  }
  const inRepair = devices.find((d) => d.plan.role === 'maintenance_now');
  if (inRepair) {
    rows.push({
      ...base(inRepair, inRepair.inventoryId),
      maintenance_type: 'repair',
      description: 'Gain drops 3 dB after warm-up; pump laser suspected',
      scheduled_date: at(ctx, -1, 8 * 60),
      extra: json({ duration_hours: 82 }),
      status: 'in_progress',
      created_at: fromNow(ctx, -30),
      updated_at: fromNow(ctx, -20),
    });
  }
  const soon = devices.find((d) => d.plan.role === 'maintenance_soon');
  if (soon) {
    rows.push({
      ...base(soon, soon.inventoryId),
      maintenance_type: 'firmware upgrade',
      description: 'Vendor firmware 12.3 (security fixes)',
      scheduled_date: at(ctx, 3, 6 * 60),
      extra: json({ duration_hours: 6 }),
      status: 'scheduled',
      created_at: fromNow(ctx, -24 * 5),
      updated_at: fromNow(ctx, -24 * 5),
    });
  }
  // Legacy records point at the retired inventory_items table: an item_id no device has.
  rows.push({
    ...base(null, 900_000 + rng.int(1, 999)),
    maintenance_type: 'calibration',
    description: 'Imported from the old inventory spreadsheet',
    scheduled_date: fromNow(ctx, -24 * 700),
    performed_date: fromNow(ctx, -24 * 700),
    status: 'completed',
    created_at: fromNow(ctx, -24 * 700),
    updated_at: fromNow(ctx, -24 * 700),
  });
  await insertRows(ctx.db, 'maintenance_records', rows);
}

export async function seedHistory(
  ctx: SeedContext,
  people: SeededPeople,
  devices: SeededDevice[],
  inventoryRows: Array<{ created_at: Date; status: string; created_by_id: number }>,
): Promise<void> {
  const rows: Array<Record<string, unknown>> = [];
  devices.forEach((d, i) => {
    const inv = inventoryRows[i] as { created_at: Date; status: string; created_by_id: number };
    rows.push({
      device_id: d.inventoryId,
      action: 'created',
      field_name: null,
      old_value: null,
      new_value: null,
      changed_by_id: inv.created_by_id,
      notes: null,
      extra: null,
      created_at: inv.created_at,
    });
    if (inv.status !== 'active') {
      rows.push({
        device_id: d.inventoryId,
        action: 'updated',
        field_name: 'status',
        old_value: 'active',
        new_value: inv.status,
        changed_by_id: people.admin.id,
        notes: null,
        extra: json({ source: 'inventory UI' }),
        created_at: fromNow(ctx, -24 * 2),
      });
    }
  });
  await insertRows(ctx.db, 'device_history', rows);
}
