import assert from 'node:assert/strict';
import type { Model, ModelClass } from 'objection';
import {
  AdminAuditLog,
  AdminInvitation,
  AdminRole,
  AdminSetting,
  Booking,
  BookingFavorite,
  Device,
  DeviceHealthSnapshot,
  DeviceHistory,
  DeviceOwnership,
  DeviceTag,
  DeviceType,
  InventoryDevice,
  InventoryDeviceTag,
  LEGACY_MODELS,
  MaintenanceRecord,
  Manufacturer,
  Site,
  Tag,
  Topology,
  User,
} from '../../src/db/models';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { migrateToBaseline } from '../support/legacy';
import { insertLegacyRows } from '../support/legacy-rows';
import { LEGACY_TABLE_NAMES } from '../support/legacy-schema';

const names = (rows: Array<{ name: string }> | undefined) => (rows ?? []).map((r) => r.name).sort();

describe('models of the legacy tables', () => {
  let db: TestDatabase;

  before(async () => {
    // The legacy rows (duplicate scheduler tags and all) are what a database holds before
    // alignment, which refuses some of them: load them into the baseline schema only.
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    await insertLegacyRows(db.knex);
  });

  after(() => db?.drop());

  it('cover the 21 legacy tables, one model each', () => {
    assert.deepEqual(LEGACY_MODELS.map((m) => m.tableName).sort(), [...LEGACY_TABLE_NAMES].sort());
  });

  it('are bound to no global knex: a query must be given one', async () => {
    await assert.rejects(async () => User.query().execute(), /no database connection/);
  });

  it('read every row of their table with every relation loaded', async () => {
    for (const model of LEGACY_MODELS as readonly ModelClass<Model>[]) {
      const relations = Object.keys(model.getRelations());
      const rows = await model.query(db.knex).withGraphFetched(`[${relations.join(', ')}]`);
      const [row] = await db.knex(model.tableName).count<Array<{ count: number }>>();
      assert.equal(rows.length, row?.count, model.tableName);
      assert.ok(rows.length > 0, `${model.tableName} has rows to load`);
    }
  });

  it('load a booking with its device and user', async () => {
    const booking = await Booking.query(db.knex).findById(1).withGraphFetched('[device, user]');
    assert.equal(booking?.booking_id, 1);
    assert.equal(booking?.device?.deviceName, 'roadm-a');
    assert.equal(booking?.device?.Out_Port, 1);
    assert.equal(booking?.user?.username, 'alice');
    assert.deepEqual(booking?.collaborators, ['bob']);
    assert.equal(booking?.start_time.toISOString(), '2024-06-03T09:00:00.000Z');
    assert.equal(booking?.created_at.toISOString(), '2024-05-20T08:30:00.654Z');
  });

  it('load a scheduler device with its bookings, ownerships, tags and health snapshots', async () => {
    const device = await Device.query(db.knex)
      .findById(1)
      .withGraphFetched('[bookings, ownerships, tags, healthSnapshots]');
    assert.equal(device?.deviceType, 'ROADM');
    assert.equal(device?.maintenance_start, '2024-05-01 08:00');
    assert.deepEqual(device?.bookings?.map((b) => b.booking_id).sort(), [1, 2, 4]);
    assert.deepEqual(device?.ownerships?.map((o) => o.owner_id).sort(), [2, 3]);
    assert.deepEqual(device?.tags?.map((t) => t.tag).sort(), ['Core', 'Lab']);
    assert.deepEqual(device?.healthSnapshots?.map((h) => h.status).sort(), ['degraded', 'up']);
  });

  it('load a user with bookings, topologies, favorites, admin role and ownerships', async () => {
    const alice = await User.query(db.knex)
      .findOne({ username: 'alice' })
      .withGraphFetched('[bookings, topologies, bookingFavorites, adminRole, ownerships]');
    assert.deepEqual(
      alice?.bookings?.map((b) => b.booking_id),
      [1],
    );
    assert.deepEqual(names(alice?.topologies), ['ring']);
    assert.deepEqual(names(alice?.bookingFavorites), ['OFC demo set']);
    assert.equal(alice?.adminRole?.role, 'SuperAdmin');
    assert.deepEqual(alice?.adminRole?.approval_limits, { max_hours: 48 });
    assert.deepEqual(alice?.ownerships, []);
    const bob = await User.query(db.knex)
      .findById(2)
      .withGraphFetched('[ownerships.device, topologies.review]');
    assert.equal(bob?.is_admin, null);
    assert.equal(bob?.ownerships?.[0]?.device?.deviceName, 'roadm-a');
    assert.equal(bob?.topologies?.[0]?.review, null);
  });

  it('load a topology with its review and user, and the review with its resolver', async () => {
    const topology = await Topology.query(db.knex)
      .findById(1)
      .withGraphFetched('[user, review.[resolver, topology]]');
    assert.equal(topology?.user?.username, 'alice');
    assert.equal(topology?.review?.status, 'approved');
    assert.equal(topology?.review?.resolver?.username, 'alice');
    assert.equal(topology?.review?.topology?.name, 'ring');
    assert.deepEqual(topology?.edges, [{ source: 'n1', target: 'n2' }]);
  });

  it('load an inventory device with its type, manufacturer, site, tags, history and editors', async () => {
    const device = await InventoryDevice.query(db.knex)
      .findOne({ oi_id: 'OI-0001' })
      .withGraphFetched(
        '[deviceType, manufacturer, site, tags, tagLinks, history.changedBy, createdBy, updatedBy]',
      );
    assert.equal(device?.deviceType?.name, 'ROADM');
    assert.equal(device?.deviceType?.is_has_ports, true);
    assert.equal(device?.manufacturer?.name, 'Polatis');
    assert.equal(device?.site?.name, 'Lab 2.14');
    assert.deepEqual(names(device?.tags), ['core', 'testbed']);
    assert.equal(device?.tagLinks?.length, 2);
    assert.deepEqual(device?.history?.map((h) => [h.action, h.changedBy?.username]).sort(), [
      ['created', 'alice'],
      ['updated', 'bob'],
    ]);
    assert.equal(device?.createdBy?.username, 'alice');
    assert.equal(device?.updatedBy?.username, 'bob');
    const spare = await InventoryDevice.query(db.knex)
      .findOne({ name: 'spare server' })
      .withGraphFetched('[manufacturer, site, createdBy]');
    assert.equal(spare?.manufacturer, null);
    assert.equal(spare?.site, null);
    assert.equal(spare?.createdBy, null);
  });

  it('load tags, device types, manufacturers and sites with their inventory devices', async () => {
    const testbed = await Tag.query(db.knex)
      .findOne({ name: 'testbed' })
      .withGraphFetched('[devices, deviceLinks]');
    assert.deepEqual(names(testbed?.devices), ['roadm-a', 'spare server']);
    assert.equal(testbed?.deviceLinks?.length, 2);
    const server = await DeviceType.query(db.knex).findOne({ name: 'Server' }).withGraphFetched('devices');
    assert.deepEqual(names(server?.devices), ['spare server']);
    const polatis = await Manufacturer.query(db.knex).findById(1).withGraphFetched('devices');
    assert.deepEqual(names(polatis?.devices), ['roadm-a']);
    const site = await Site.query(db.knex).findById(1).withGraphFetched('devices');
    assert.deepEqual(names(site?.devices), ['roadm-a']);
  });

  it('load admin records with their users', async () => {
    const entries = await AdminAuditLog.query(db.knex).orderBy('id').withGraphFetched('actor');
    assert.deepEqual(
      entries.map((e) => [e.entity_id, e.actor?.username ?? null]),
      [
        ['3', 'alice'],
        ['booking.max_hours', null],
      ],
    );
    const setting = await AdminSetting.query(db.knex)
      .findOne({ key: 'booking.max_hours' })
      .withGraphFetched('updater');
    assert.equal(setting?.value, 48);
    assert.equal(setting?.updater?.username, 'alice');
    const invitation = await AdminInvitation.query(db.knex).findById(1).withGraphFetched('inviter');
    assert.equal(invitation?.inviter?.username, 'alice');
    const role = await AdminRole.query(db.knex).findOne({ role: 'Viewer' }).withGraphFetched('user');
    assert.equal(role?.user?.username, 'bob');
  });

  it('load the remaining belongs-to relations', async () => {
    const ownership = await DeviceOwnership.query(db.knex)
      .findById(1)
      .withGraphFetched('[device, owner, assignedByUser]');
    assert.deepEqual(
      [ownership?.device?.deviceName, ownership?.owner?.username, ownership?.assignedByUser?.username],
      ['roadm-a', 'bob', 'alice'],
    );
    const history = await DeviceHistory.query(db.knex).findById(2).withGraphFetched('device');
    assert.equal(history?.device?.name, 'roadm-a');
    assert.deepEqual(history?.extra, { ticket: 77 });
    const record = await MaintenanceRecord.query(db.knex).findById(1).withGraphFetched('createdBy');
    assert.equal(record?.createdBy?.username, 'alice');
    assert.equal(record?.cost, 125.5);
    assert.deepEqual(record?.parts_used, ['fibre cleaner']);
    const snapshot = await DeviceHealthSnapshot.query(db.knex).findById(1).withGraphFetched('device');
    assert.equal(snapshot?.device?.polatis_name, 'ROADM-A');
    const favorite = await BookingFavorite.query(db.knex).findById(1).withGraphFetched('user');
    assert.equal(favorite?.user?.username, 'alice');
    const tag = await DeviceTag.query(db.knex).findById(3).withGraphFetched('device');
    assert.equal(tag?.device?.deviceName, 'amp-1');
  });

  it('leave password hashes and invitation tokens out of JSON, for logs', async () => {
    const alice = await User.query(db.knex).findById(1).withGraphFetched('bookings');
    assert.ok(alice?.password.startsWith('$2b$'));
    const json = JSON.stringify(alice);
    assert.ok(!json.includes('password') && !json.includes('$2b$'), json);
    assert.match(json, /"username":"alice"/);
    const invitation = await AdminInvitation.query(db.knex).findById(1).withGraphFetched('inviter');
    assert.equal(invitation?.token.length, 32);
    assert.ok(!JSON.stringify(invitation).includes(invitation?.token ?? '?'));
  });

  it('find an inventory device tag by its composite key', async () => {
    const link = await InventoryDeviceTag.query(db.knex).findById([1, 2]).withGraphFetched('[device, tag]');
    assert.equal(link?.device?.name, 'roadm-a');
    assert.equal(link?.tag?.name, 'testbed');
    assert.equal(await InventoryDeviceTag.query(db.knex).findById([2, 1]), undefined);
  });

  it('return json values exactly as stored, a JSON string that looks like a number included', async () => {
    const banner = await AdminSetting.query(db.knex).findOne({ key: 'banner.text' });
    assert.equal(banner?.value, '42');
    const approval = await AdminSetting.query(db.knex).findOne({ key: 'approval' });
    assert.deepEqual(approval?.value, { mode: 'enforce' });
  });

  it('write json values as JSON and timestamps as UTC', async () => {
    const inserted = await Booking.query(db.knex).insert({
      device_id: 3,
      user_id: 3,
      is_collaborator: false,
      grouped_booking_id: 'model-write',
      start_time: new Date('2024-07-01T22:00:00Z'),
      end_time: new Date('2024-07-01T23:30:00Z'),
      status: 'Pending',
      comment: null,
      collaborators: ['alice', 'bob'],
      created_at: new Date('2024-06-30T12:00:00.123Z'),
    });
    const [raw] = await db
      .knex('booking_table')
      .where({ booking_id: inserted.booking_id })
      .select(db.knex.raw('collaborators::text AS collaborators, start_time::text AS start_time'));
    assert.deepEqual(raw, { collaborators: '["alice","bob"]', start_time: '2024-07-01 22:00:00' });
    const setting = await AdminSetting.query(db.knex).insert({
      key: 'model.string',
      value: 'on',
      updated_at: new Date('2024-07-01T00:00:00Z'),
      updated_by: null,
    });
    const back = await AdminSetting.query(db.knex).findById(setting.id);
    assert.equal(back?.value, 'on');
  });
});
