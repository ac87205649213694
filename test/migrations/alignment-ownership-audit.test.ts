import assert from 'node:assert/strict';
import { migrateTo, rollbackTo } from '../../src/db/migrator';
import { emptyDatabase, type TestDatabase } from '../support/db';
import {
  BASELINE,
  insertAuditLog,
  insertDeviceType,
  insertInventoryDevice,
  insertMaintenanceRecord,
  insertOwnership,
  insertSchedulerDevice,
  insertUser,
  migrateToBaseline,
  sqlstateOf,
} from '../support/legacy';

const LAST_STEP = '20261124010010_maintenance_records_device_id';

describe('alignment: ownership, audit-log entity_ref, maintenance_records.device_id', () => {
  let db: TestDatabase;
  let device: number;
  let alice: number;
  let bob: number;
  const o: Record<string, number> = {};
  const audit: Record<string, number> = {};
  let plantedOwnership: unknown[];
  let plantedAudit: unknown[];

  before(async () => {
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    const k = db.knex;
    device = await insertSchedulerDevice(k, { polatis_name: 'A' });
    alice = await insertUser(k);
    bob = await insertUser(k);
    o.newest = await insertOwnership(k, {
      device_id: device,
      owner_id: alice,
      assigned_at: '2026-01-03 00:00:00',
    });
    o.oldest = await insertOwnership(k, {
      device_id: device,
      owner_id: alice,
      assigned_at: '2026-01-01 00:00:00',
    });
    o.middle = await insertOwnership(k, {
      device_id: device,
      owner_id: alice,
      assigned_at: '2026-01-02 00:00:00',
    });
    o.revoked = await insertOwnership(k, {
      device_id: device,
      owner_id: alice,
      assigned_at: '2025-12-01 00:00:00',
      revoked_at: '2025-12-02 00:00:00',
    });
    o.bob = await insertOwnership(k, { device_id: device, owner_id: bob });
    for (const [name, entityId] of Object.entries({
      plain: '42',
      padded: ' 17 ',
      zeros: '007',
      word: 'abc',
      mixed: '12a',
      negative: '-5',
      tooLong: '1234567890123456789',
      uuid: '6f1c0d1e-0000-4000-8000-000000000000',
    })) {
      audit[name] = await insertAuditLog(k, { entity_id: entityId });
    }
    audit.none = await insertAuditLog(k, { entity_id: null });
    plantedOwnership = (await k.raw('SELECT * FROM device_ownership ORDER BY id')).rows;
    plantedAudit = (await k.raw('SELECT * FROM admin_audit_log ORDER BY id')).rows;
    await migrateTo(k, LAST_STEP);
  });
  after(() => db?.drop());

  it('keeps the oldest active ownership and revokes the later duplicates, quarantined first', async () => {
    const { rows } = await db.knex.raw('SELECT id, revoked_at FROM device_ownership ORDER BY id');
    const active = rows
      .filter((r: { revoked_at: Date | null }) => r.revoked_at === null)
      .map((r: { id: number }) => r.id);
    assert.deepEqual(active.sort(), [o.oldest, o.bob].sort());
    const quarantined = await db.knex.raw(
      `SELECT (row_pk ->> 'id')::int AS id, row_data ->> 'revoked_at' AS was FROM alignment_quarantine
        WHERE table_name = 'device_ownership' AND reason = 'duplicate_active_ownership' ORDER BY id`,
    );
    assert.deepEqual(quarantined.rows, [
      { id: o.newest, was: null },
      { id: o.middle, was: null },
    ]);
    const revoked = rows.find((r: { id: number }) => r.id === o.newest);
    assert.ok(
      Math.abs(revoked.revoked_at.getTime() - Date.now()) < 60_000,
      'revoked at migration time (UTC)',
    );
  });

  it('rejects a second active ownership with 23505 and allows one after revoking', async () => {
    assert.equal(await sqlstateOf(insertOwnership(db.knex, { device_id: device, owner_id: bob })), '23505');
    await db.knex('device_ownership').where({ id: o.bob }).update({ revoked_at: '2026-02-01 00:00:00' });
    await insertOwnership(db.knex, { device_id: device, owner_id: bob });
  });

  it('types numeric audit entity ids and leaves the others NULL', async () => {
    const { rows } = await db.knex.raw('SELECT id, entity_ref FROM admin_audit_log');
    const ref = new Map(rows.map((r: { id: number; entity_ref: number | null }) => [r.id, r.entity_ref]));
    const got = Object.fromEntries(Object.entries(audit).map(([name, id]) => [name, ref.get(id)]));
    assert.deepEqual(got, {
      plain: 42,
      padded: 17,
      zeros: 7,
      word: null,
      mixed: null,
      negative: null,
      tooLong: null,
      uuid: null,
      none: null,
    });
    const id = await insertAuditLog(db.knex, { entity_type: 'device', entity_id: String(device) });
    const joined = await db.knex.raw(
      `SELECT d.polatis_name FROM admin_audit_log a JOIN device_table d ON d.id = a.entity_ref WHERE a.id = ?`,
      [id],
    );
    assert.deepEqual(joined.rows, [{ polatis_name: 'A' }]);
  });

  it('adds maintenance_records.device_id without trusting item_id, and never blocks an inventory delete', async () => {
    const type = await insertDeviceType(db.knex, { name: 'OTDR' });
    const inv = await insertInventoryDevice(db.knex, { polatis_name: 'X', device_type_id: type });
    const legacy = await insertMaintenanceRecord(db.knex, { item_id: inv });
    const typed = await insertMaintenanceRecord(db.knex, { item_id: 0, device_id: inv });
    const before = await db.knex.raw('SELECT id, device_id FROM maintenance_records ORDER BY id');
    assert.deepEqual(before.rows, [
      { id: legacy, device_id: null },
      { id: typed, device_id: inv },
    ]);
    assert.equal(
      await sqlstateOf(insertMaintenanceRecord(db.knex, { item_id: 1, device_id: 999_999 })),
      '23503',
    );
    await db.knex('devices').where({ id: inv }).delete();
    const after = await db.knex.raw('SELECT device_id FROM maintenance_records WHERE id = ?', [typed]);
    assert.equal(after.rows[0].device_id, null);
  });

  it('rolls back to the legacy rows', async () => {
    await db.knex('device_ownership').where('id', '>', o.bob!).delete();
    await db.knex('device_ownership').where({ id: o.bob }).update({ revoked_at: null });
    await db.knex('admin_audit_log').where('id', '>', audit.none!).delete();
    await rollbackTo(db.knex, BASELINE);
    assert.deepEqual(
      (await db.knex.raw('SELECT * FROM device_ownership ORDER BY id')).rows,
      plantedOwnership,
    );
    assert.deepEqual((await db.knex.raw('SELECT * FROM admin_audit_log ORDER BY id')).rows, plantedAudit);
  });
});
