import assert from 'node:assert/strict';
import { migrateTo, rollbackTo } from '../../src/db/migrator';
import { emptyDatabase, type TestDatabase } from '../support/db';
import {
  BASELINE,
  insertDeviceTag,
  insertDeviceType,
  insertHealthSnapshot,
  insertInventoryDevice,
  insertManufacturer,
  insertSchedulerDevice,
  insertSite,
  insertTag,
  migrateToBaseline,
  tagInventoryDevice,
} from '../support/legacy';

const LAST_STEP = '20261124010007_latest_device_health';

describe('alignment: devices linked, device types, linked_devices, latest_device_health', () => {
  let db: TestDatabase;
  const s: Record<string, number> = {}; // scheduler devices
  const inv: Record<string, number> = {}; // inventory devices
  const ty: Record<string, number> = {};
  let planted: unknown[];

  before(async () => {
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    const k = db.knex;
    ty.otdr = await insertDeviceType(k, { name: 'OTDR', category: 'test-equipment', is_has_ports: false });
    ty.switch = await insertDeviceType(k, { name: 'Switch', category: 'network' });
    ty.amp = await insertDeviceType(k, { name: 'amp', category: 'optical', is_schedulable: false });
    ty.ampUpper = await insertDeviceType(k, { name: 'AMP', category: 'optical' });
    const site = await insertSite(k, 'Lab A');
    const maker = await insertManufacturer(k, 'Polatis');
    const optical = await insertTag(k, 'Optical');

    inv.exact = await insertInventoryDevice(k, {
      polatis_name: 'POL-1',
      device_type_id: ty.switch,
      site_id: site,
      manufacturer_id: maker,
      hostname: 'pol1.lab',
      status: 'in-service',
    });
    inv.loose = await insertInventoryDevice(k, { polatis_name: 'Pol-2', device_type_id: ty.otdr });
    inv.twinA = await insertInventoryDevice(k, {
      name: 'twin a',
      polatis_name: 'TWIN',
      device_type_id: ty.otdr,
    });
    inv.twinB = await insertInventoryDevice(k, {
      name: 'twin b',
      polatis_name: 'TWIN',
      device_type_id: ty.otdr,
    });
    inv.claimed = await insertInventoryDevice(k, { polatis_name: 'Shared', device_type_id: ty.otdr });
    inv.typeClash = await insertInventoryDevice(k, { polatis_name: 'CLASH', device_type_id: ty.switch });
    await tagInventoryDevice(k, inv.exact, optical);

    s.exact = await insertSchedulerDevice(k, {
      polatis_name: 'POL-1',
      deviceType: 'Switch',
      status: 'available',
    });
    s.loose = await insertSchedulerDevice(k, { polatis_name: ' pol-2 ', deviceType: ' otdr' });
    s.twin = await insertSchedulerDevice(k, { polatis_name: 'TWIN', deviceType: 'Amp' });
    s.claimant1 = await insertSchedulerDevice(k, { polatis_name: 'Shared', deviceType: 'Mystery' });
    s.claimant2 = await insertSchedulerDevice(k, { polatis_name: 'shared ', deviceType: '' });
    s.nobody = await insertSchedulerDevice(k, { polatis_name: 'POL-404' });
    s.noName = await insertSchedulerDevice(k, { polatis_name: '  ' });
    s.clash = await insertSchedulerDevice(k, { polatis_name: 'CLASH', deviceType: 'OTDR' });
    await insertDeviceTag(k, s.exact, ' Optical');
    await insertDeviceTag(k, s.exact, 'Rack-3');
    await insertHealthSnapshot(k, { device_id: s.exact, status: 'up', updated_at: '2026-01-01 10:00:00' });
    await insertHealthSnapshot(k, { device_id: s.exact, status: 'down', updated_at: '2026-01-01 11:00:00' });
    await insertHealthSnapshot(k, {
      device_id: s.exact,
      status: 'degraded',
      updated_at: '2026-01-01 11:00:00',
    });
    await insertHealthSnapshot(k, { device_id: s.loose, status: 'up', updated_at: '2026-01-01 09:00:00' });
    planted = (await k.raw('SELECT * FROM device_table ORDER BY id')).rows;
    await migrateTo(k, LAST_STEP);
  });
  after(() => db?.drop());

  async function links(): Promise<Record<string, number | null>> {
    const { rows } = await db.knex.raw('SELECT id, inventory_device_id FROM device_table');
    const byId = new Map(rows.map((r: { id: number; inventory_device_id: number | null }) => [r.id, r]));
    return Object.fromEntries(
      Object.entries(s).map(([name, id]) => [
        name,
        (byId.get(id) as { inventory_device_id: number | null }).inventory_device_id,
      ]),
    );
  }

  async function categories(): Promise<Record<string, string>> {
    const { rows } = await db.knex.raw('SELECT device_id, category FROM alignment_device_link_status()');
    const byId = new Map(rows.map((r: { device_id: number; category: string }) => [r.device_id, r.category]));
    return Object.fromEntries(Object.entries(s).map(([name, id]) => [name, byId.get(id) as string]));
  }

  it('links by exact, then normalised polatis name, and leaves ambiguous and unmatched devices unlinked', async () => {
    assert.deepEqual(await links(), {
      exact: inv.exact,
      loose: inv.loose,
      twin: null,
      claimant1: null,
      claimant2: null,
      nobody: null,
      noName: null,
      clash: inv.typeClash,
    });
    assert.deepEqual(await categories(), {
      exact: 'matched_exact',
      loose: 'matched_normalized',
      twin: 'ambiguous',
      claimant1: 'ambiguous',
      claimant2: 'ambiguous',
      nobody: 'unmatched',
      noName: 'no_polatis_name',
      clash: 'matched_exact',
    });
  });

  it('links device types exactly, then by the single normalised match', async () => {
    const { rows } = await db.knex.raw('SELECT id, device_type_id FROM device_table');
    const byId = new Map(
      rows.map((r: { id: number; device_type_id: number | null }) => [r.id, r.device_type_id]),
    );
    assert.equal(byId.get(s.exact), ty.switch);
    assert.equal(byId.get(s.loose), ty.otdr);
    assert.equal(byId.get(s.twin), null, '"Amp" matches both "amp" and "AMP": not guessed');
    assert.equal(byId.get(s.claimant1), null);
    assert.equal(byId.get(s.claimant2), null);
    assert.equal(byId.get(s.clash), ty.otdr);
  });

  it('gives linked_devices exactly the agreed columns', async () => {
    const { rows } = await db.knex.raw(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'linked_devices' ORDER BY ordinal_position`,
    );
    assert.deepEqual(
      rows.map((r: { column_name: string }) => r.column_name),
      [
        'device_id',
        'polatis_name',
        'device_name',
        'legacy_device_type',
        'scheduler_status',
        'ip_address',
        'in_port',
        'out_port',
        'maintenance_starts_at',
        'maintenance_ends_at',
        'inventory_device_id',
        'inventory_name',
        'inventory_status',
        'oi_id',
        'hostname',
        'mgmt_ip',
        'polatis_port_range',
        'owner_group',
        'device_type_id',
        'device_type_name',
        'category',
        'is_schedulable',
        'has_ports',
        'site_id',
        'site_name',
        'manufacturer_id',
        'manufacturer_name',
        'tags',
      ],
    );
    const types = Object.fromEntries(
      rows.map((r: { column_name: string; data_type: string }) => [r.column_name, r.data_type]),
    );
    assert.equal(types.tags, 'ARRAY');
    assert.equal(types.is_schedulable, 'boolean');
    assert.equal(types.maintenance_starts_at, 'timestamp with time zone');
  });

  it('shows each scheduler device with its inventory metadata in linked_devices', async () => {
    const { rows } = await db.knex.raw('SELECT * FROM linked_devices ORDER BY device_id');
    assert.equal(rows.length, Object.keys(s).length);
    const exact = rows.find((r: { device_id: number }) => r.device_id === s.exact);
    assert.deepEqual(
      {
        polatis_name: exact.polatis_name,
        legacy_device_type: exact.legacy_device_type,
        scheduler_status: exact.scheduler_status,
        inventory_device_id: exact.inventory_device_id,
        inventory_status: exact.inventory_status,
        hostname: exact.hostname,
        device_type_id: exact.device_type_id,
        device_type_name: exact.device_type_name,
        category: exact.category,
        is_schedulable: exact.is_schedulable,
        has_ports: exact.has_ports,
        site_name: exact.site_name,
        manufacturer_name: exact.manufacturer_name,
        tags: exact.tags,
        in_port: exact.in_port,
        out_port: exact.out_port,
      },
      {
        polatis_name: 'POL-1',
        legacy_device_type: 'Switch',
        scheduler_status: 'available',
        inventory_device_id: inv.exact,
        inventory_status: 'in-service',
        hostname: 'pol1.lab',
        device_type_id: ty.switch,
        device_type_name: 'Switch',
        category: 'network',
        is_schedulable: true,
        has_ports: true,
        site_name: 'Lab A',
        manufacturer_name: 'Polatis',
        tags: ['optical', 'rack-3'],
        in_port: 2,
        out_port: 1,
      },
    );
    const nobody = rows.find((r: { device_id: number }) => r.device_id === s.nobody);
    assert.equal(nobody.device_type_id, null);
    assert.equal(nobody.is_schedulable, false);
    assert.equal(nobody.has_ports, false);
    assert.deepEqual(nobody.tags, []);
  });

  it('falls back to the inventory device type when the scheduler type is unknown', async () => {
    await db.knex('device_table').where({ id: s.loose }).update({ deviceType: 'no such type' });
    const { rows } = await db.knex.raw('SELECT device_type_id FROM linked_devices WHERE device_id = ?', [
      s.loose!,
    ]);
    assert.equal(rows[0].device_type_id, ty.otdr);
  });

  it('gives the latest health snapshot per device', async () => {
    const { rows } = await db.knex.raw(
      'SELECT device_id, status FROM latest_device_health ORDER BY device_id',
    );
    assert.deepEqual(rows, [
      { device_id: s.exact, status: 'degraded' },
      { device_id: s.loose, status: 'up' },
    ]);
  });

  it('links a scheduler device the legacy backend adds later, with its type', async () => {
    const tid = await insertDeviceType(db.knex, { name: 'Amplifier', category: 'optical' });
    const invId = await insertInventoryDevice(db.knex, { polatis_name: 'NEW-1', device_type_id: tid });
    const id = await insertSchedulerDevice(db.knex, { polatis_name: 'new-1', deviceType: 'amplifier ' });
    const { rows } = await db.knex.raw(
      'SELECT inventory_device_id, device_type_id FROM device_table WHERE id = ?',
      [id],
    );
    assert.deepEqual(rows[0], { inventory_device_id: invId, device_type_id: tid });
  });

  it('relinks on rename and when the inventory side changes', async () => {
    // Renaming a scheduler device away from its match unlinks it.
    await db.knex('device_table').where({ id: s.nobody }).update({ polatis_name: 'POL-405' });
    assert.equal((await links()).nobody, null);
    // A matching inventory device appearing later links it.
    const late = await insertInventoryDevice(db.knex, { polatis_name: 'pol-405', device_type_id: ty.otdr! });
    assert.equal((await links()).nobody, late);
    // Renaming one claimant away makes the other one unambiguous.
    await db.knex('device_table').where({ id: s.claimant2 }).update({ polatis_name: 'elsewhere' });
    assert.equal((await links()).claimant1, inv.claimed);
    // Deleting a linked inventory device does not fail; the link is cleared.
    await db.knex('devices').where({ id: late }).delete();
    assert.equal((await links()).nobody, null);
    // A new device type picks up devices that named it.
    const mystery = await insertDeviceType(db.knex, { name: 'mystery', category: 'other' });
    const { rows } = await db.knex.raw('SELECT device_type_id FROM device_table WHERE id = ?', [
      s.claimant1!,
    ]);
    assert.equal(rows[0].device_type_id, mystery);
  });

  it('rolls back to the legacy columns and rows', async () => {
    await db
      .knex('device_table')
      .where('id', '>', Math.max(...Object.values(s)))
      .delete();
    await db.knex('device_table').where({ id: s.nobody }).update({ polatis_name: 'POL-404' });
    await db.knex('device_table').where({ id: s.claimant2 }).update({ polatis_name: 'shared ' });
    await db.knex('device_table').where({ id: s.loose }).update({ deviceType: ' otdr' });
    await rollbackTo(db.knex, BASELINE);
    assert.deepEqual((await db.knex.raw('SELECT * FROM device_table ORDER BY id')).rows, planted);
    const { rows } = await db.knex.raw(
      `SELECT table_name FROM information_schema.views WHERE table_name IN ('linked_devices', 'latest_device_health')`,
    );
    assert.deepEqual(rows, []);
  });
});
