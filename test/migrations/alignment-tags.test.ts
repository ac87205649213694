import assert from 'node:assert/strict';
import { migrateTo, rollbackTo } from '../../src/db/migrator';
import { emptyDatabase, type TestDatabase } from '../support/db';
import {
  BASELINE,
  insertDeviceTag,
  insertSchedulerDevice,
  insertTag,
  migrateToBaseline,
  sqlstateOf,
} from '../support/legacy';

const STEP = '20261124010005_device_tags_normalised';

describe('alignment: device tags normalised', () => {
  let db: TestDatabase;
  let d1: number;
  let d2: number;
  const g: Record<string, number> = {};
  const t: Record<string, number> = {};
  let plantedTags: unknown[];
  let plantedDeviceTags: unknown[];
  let plantedSequence: unknown;

  const sequence = async () =>
    (await db.knex.raw('SELECT last_value, is_called FROM tags_id_seq')).rows[0] as unknown;

  before(async () => {
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    const k = db.knex;
    d1 = await insertSchedulerDevice(k, { polatis_name: 'A' });
    d2 = await insertSchedulerDevice(k, { polatis_name: 'B' });
    t.optical = await insertTag(k, 'Optical');
    t.lab = await insertTag(k, 'lab');
    t.labUpper = await insertTag(k, 'LAB');
    g.lowestId = await insertDeviceTag(k, d1, 'optical', '2026-01-01 00:00:00');
    g.dupLater = await insertDeviceTag(k, d1, ' OPTICAL ', '2026-01-02 00:00:00');
    g.dupEarlierButHigherId = await insertDeviceTag(k, d1, 'Optical', '2025-12-31 00:00:00');
    g.other = await insertDeviceTag(k, d2, 'optical');
    g.lab = await insertDeviceTag(k, d1, 'Lab');
    g.fresh1 = await insertDeviceTag(k, d1, 'Fiber Tray ');
    g.fresh2 = await insertDeviceTag(k, d2, 'fiber tray');
    g.blank = await insertDeviceTag(k, d2, '  ');
    plantedTags = (await k.raw('SELECT * FROM tags ORDER BY id')).rows;
    plantedDeviceTags = (await k.raw('SELECT * FROM device_tags ORDER BY id')).rows;
    plantedSequence = await sequence();
    await migrateTo(k, STEP);
  });
  after(() => db?.drop());

  it('moves repeated (device, tag) rows to quarantine, keeping the oldest', async () => {
    const { rows } = await db.knex.raw(
      `SELECT (row_pk ->> 'id')::int AS id, reason, row_data FROM alignment_quarantine
        WHERE table_name = 'device_tags' ORDER BY id`,
    );
    assert.deepEqual(
      rows.map((r: { id: number }) => r.id),
      [g.lowestId, g.dupLater],
    );
    assert.equal(rows[0].reason, 'duplicate_device_tag');
    assert.equal(rows[0].row_data.tag, 'optical');
    const left = (await db.knex.raw('SELECT id FROM device_tags ORDER BY id')).rows.map(
      (r: { id: number }) => r.id,
    );
    assert.ok(left.includes(g.dupEarlierButHigherId));
    assert.ok(!left.includes(g.lowestId));
  });

  it('points every tag at the tags vocabulary, creating only what was missing', async () => {
    const { rows } = await db.knex.raw(
      `SELECT g.id, t.name FROM device_tags g LEFT JOIN tags t ON t.id = g.tag_id ORDER BY g.id`,
    );
    const name = new Map(rows.map((r: { id: number; name: string | null }) => [r.id, r.name]));
    assert.equal(name.get(g.dupEarlierButHigherId), 'Optical', 'an existing tag is reused, not duplicated');
    assert.equal(name.get(g.other), 'Optical');
    assert.equal(name.get(g.lab), 'lab', 'the tag already named in normal form wins');
    assert.equal(name.get(g.fresh1), 'fiber tray');
    assert.equal(name.get(g.fresh2), 'fiber tray');
    assert.equal(name.get(g.blank), null);
    const created = await db.knex.raw(
      `SELECT t.name, c.origin FROM alignment_created_tags c JOIN tags t ON t.id = c.tag_id`,
    );
    assert.deepEqual(created.rows, [{ name: 'fiber tray', origin: 'migration' }]);
  });

  it('links tags the legacy backend writes later, creating new ones', async () => {
    const id = await insertDeviceTag(db.knex, d2, 'Rack 7');
    const { rows } = await db.knex.raw(
      `SELECT t.name, c.origin FROM device_tags g JOIN tags t ON t.id = g.tag_id
         LEFT JOIN alignment_created_tags c ON c.tag_id = t.id WHERE g.id = ?`,
      [id],
    );
    assert.deepEqual(rows[0], { name: 'rack 7', origin: 'trigger' });
    await db.knex('device_tags').where({ id }).update({ tag: 'LAB' });
    const relinked = await db.knex.raw('SELECT tag_id FROM device_tags WHERE id = ?', [id]);
    assert.equal(relinked.rows[0].tag_id, t.lab);
  });

  it('rejects a duplicate tag on one device with 23505', async () => {
    assert.equal(await sqlstateOf(insertDeviceTag(db.knex, d2, 'Fiber tray')), '23505');
  });

  it('rolls back: quarantined rows return, created tags go, the sequence is reset', async () => {
    await db.knex('device_tags').where('id', '>', g.blank!).delete();
    await rollbackTo(db.knex, BASELINE);
    assert.deepEqual((await db.knex.raw('SELECT * FROM device_tags ORDER BY id')).rows, plantedDeviceTags);
    assert.deepEqual((await db.knex.raw('SELECT * FROM tags ORDER BY id')).rows, plantedTags);
    assert.deepEqual(await sequence(), plantedSequence);
  });
});
