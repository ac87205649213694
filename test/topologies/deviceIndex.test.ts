import assert from 'node:assert/strict';
import * as migration from '../../migrations/20261124050001_topology_devices';
import { classifyError } from '../../src/errors';
import {
  type BackfillProgress,
  backfillTopologyDevices,
  reviewsUsingDevices,
} from '../../src/topologies/deviceIndex';
import { constraints } from '../support/catalog';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { at, edge, Lab, node } from './lab';

describe('topologies/deviceIndex: the fan-out index', () => {
  let db: TestDatabase;
  let lab: Lab;
  let requester: number;

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    requester = await lab.user('requester');
  });
  after(async () => {
    await db?.drop();
  });

  const indexed = async (topologyId: number) =>
    (await db.knex('topology_devices').where({ topology_id: topologyId }).orderBy('device_id')).map(
      (r: { device_id: number }) => r.device_id,
    );

  it('lists the topologies that name a device, by id, by polatis name, or a device that does not exist', async () => {
    const [a, b, c] = [await lab.device(), await lab.device(), await lab.device()];
    const first = await lab.topology(
      requester,
      [
        node('a', a.id),
        node('b', b.id),
        node('c', { polatisName: ` ${c.polatisName.toLowerCase()} ` }),
        node('z', 999_997),
      ],
      [],
    );
    const second = await lab.topology(requester, [node('b', b.id)], []);
    await lab.check(first);
    await lab.check(second);
    assert.deepEqual(
      await indexed(first),
      [a.id, b.id, c.id, 999_997].sort((x, y) => x - y),
    );
    assert.deepEqual(await reviewsUsingDevices(db.knex, [c.id]), [first]);
    assert.deepEqual(await reviewsUsingDevices(db.knex, [999_997]), [first]);
    assert.deepEqual(await reviewsUsingDevices(db.knex, [b.id, a.id, b.id]), [first, second]);
    assert.deepEqual(await reviewsUsingDevices(db.knex, []), []);
    await assert.rejects(reviewsUsingDevices(db.knex, [0]), (e: Error) => {
      assert.equal(classifyError(e), 'invalid');
      assert.match(e.message, /deviceIds must hold ids from 1 to 2147483647, got 0/);
      return true;
    });

    // The topology is edited: the next check re-indexes it.
    await db
      .knex('topology_table')
      .where({ id: first })
      .update({ nodes: JSON.stringify([node('a', a.id)]) });
    await lab.check(first, { now: at(1) });
    assert.deepEqual(await indexed(first), [a.id]);
    assert.deepEqual(await reviewsUsingDevices(db.knex, [b.id]), [second]);

    // Deleting a topology deletes its rows.
    await db.knex('topology_review').where({ topology_id: second }).delete();
    await db.knex('topology_table').where({ id: second }).delete();
    assert.deepEqual(await reviewsUsingDevices(db.knex, [b.id]), []);
  });

  it('indexes every device carrying an ambiguous polatis name', async () => {
    const x = await lab.device();
    const twin = await lab.device();
    await db
      .knex('device_table')
      .where({ id: twin.id })
      .update({ polatis_name: `${x.polatisName} ` });
    const id = await lab.topology(requester, [node('a', { polatisName: x.polatisName })], []);
    const check = await lab.check(id);
    assert.deepEqual(
      check.result.findings.map((f) => f.kind),
      ['ambiguous_device'],
    );
    assert.deepEqual(await indexed(id), [x.id, twin.id]);
  });

  it('leaves the index of a newer check alone when an older check finishes late', async () => {
    const [a, b] = [await lab.device(), await lab.device()];
    const id = await lab.topology(requester, [node('a', a.id)], []);
    await lab.check(id, { now: at(2) });
    await db
      .knex('topology_table')
      .where({ id })
      .update({ nodes: JSON.stringify([node('b', b.id)]) });
    const stale = await lab.check(id, { now: at(1) });
    assert.equal(stale.recorded.stale, true);
    assert.deepEqual(await indexed(id), [a.id]);
  });

  it('re-checks the reviews that use a device when maintenance is set on it', async () => {
    const [a, b] = [await lab.device({ inPort: 1, outPort: 2 }), await lab.device({ inPort: 3, outPort: 4 })];
    for (const d of [a, b])
      await lab.booking({ deviceId: d.id, userId: requester, from: at(24), to: at(30) });
    const using = await lab.topology(
      requester,
      [node('a', a.id), node('b', b.id)],
      [edge('e', 'a', 'b', 'out-2', 'in-3')],
    );
    const notUsing = await lab.topology(requester, [node('b', b.id)], []);
    await lab.check(using);
    await lab.check(notUsing);
    assert.equal((await lab.review(using)).status, 'approved');

    // A device maintenance event for A: the handler fans out to the reviews using A.
    await db
      .knex('device_table')
      .where({ id: a.id })
      .update({
        maintenance_start: at(25).toISOString(),
        maintenance_end: at(27).toISOString(),
      });
    const recheck = await reviewsUsingDevices(db.knex, [a.id]);
    assert.deepEqual(recheck, [using]);
    for (const topologyId of recheck) await lab.check(topologyId, { now: at(0.5) });

    const review = await lab.review(using);
    assert.equal(review.status, 'conflicts');
    const [finding] = await lab.findings(using);
    assert.equal(finding?.kind, 'device_maintenance');
    assert.equal(finding?.device_id, a.id);
    assert.equal((await lab.review(notUsing)).last_checked_at.getTime(), at(0).getTime(), 'not re-checked');
  });

  it('backfills topologies never reviewed, chunk by chunk, and can run again', async () => {
    await db.knex('topology_devices').delete();
    const devices = [await lab.device(), await lab.device(), await lab.device()];
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const nodes = [
        node('a', devices[i % 3]!.id),
        node('b', { polatisName: devices[(i + 1) % 3]!.polatisName }),
      ];
      ids.push(await lab.topology(requester, nodes, []));
    }
    const broken = await lab.topology(requester, JSON.stringify('"not json'), '[]');
    // A stale row the backfill must drop.
    await db.knex('topology_devices').insert({ topology_id: ids[0], device_id: 424_242 });

    const chunks: BackfillProgress[] = [];
    const total = await backfillTopologyDevices(db.knex, { chunkSize: 4, onChunk: (p) => chunks.push(p) });
    const topologyCount = Number((await db.knex('topology_table').count({ n: '*' }))[0]?.n);
    assert.equal(total.topologies, topologyCount);
    assert.ok(chunks.length >= 2 && chunks.every((c) => c.topologies <= topologyCount));
    assert.equal(total.rows, Number((await db.knex('topology_devices').count({ n: '*' }))[0]?.n));
    for (const [i, id] of ids.entries()) {
      const expected = [devices[i % 3]!.id, devices[(i + 1) % 3]!.id].sort((x, y) => x - y);
      assert.deepEqual(await indexed(id), expected);
    }
    assert.deepEqual(await indexed(broken), []);
    assert.deepEqual(await reviewsUsingDevices(db.knex, [424_242]), []);

    const before = await db.knex('topology_devices').orderBy(['topology_id', 'device_id']);
    const again = await backfillTopologyDevices(db.knex);
    assert.equal(again.rows, total.rows);
    assert.deepEqual(await db.knex('topology_devices').orderBy(['topology_id', 'device_id']), before);
    await assert.rejects(
      backfillTopologyDevices(db.knex, { chunkSize: 0 }),
      /chunkSize must be a whole number/,
    );
  });

  it('has its foreign key cascading, and its migration goes down and up again', async () => {
    const fk = (await constraints(db.knex, 'topology_devices')).find((c) => c.type === 'f');
    assert.equal(fk?.refTable, 'topology_table');
    assert.equal(fk?.onDelete, 'CASCADE');
    const { rows } = await db.knex.raw<{ rows: Array<{ indexdef: string }> }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'topology_devices' ORDER BY indexname",
    );
    assert.deepEqual(
      rows.map((r) => r.indexdef.replace(/ ON public\./, ' ON ')),
      [
        'CREATE INDEX topology_devices_device_id_idx ON topology_devices USING btree (device_id)',
        'CREATE UNIQUE INDEX topology_devices_pkey ON topology_devices USING btree (topology_id, device_id)',
      ],
    );
    await migration.down(db.knex);
    assert.equal((await db.knex.raw("SELECT to_regclass('topology_devices') AS t")).rows[0].t, null);
    await migration.up(db.knex);
    assert.deepEqual(await reviewsUsingDevices(db.knex, [1]), []);
  });
});
