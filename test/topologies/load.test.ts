import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { loadTopologyFacts, loadTopologyFactsMany, type TopologyToLoad } from '../../src/topologies/load';
import { deviceTableWindow, maintenanceRecordWindow } from '../../src/topologies/loadDevices';
import { parseTopology } from '../../src/topologies/parse';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { NOW } from './lab';
import { buildWorld, type World } from './world';

const d = (text: string) => new Date(text);
const window = (w: { startsAt: Date; endsAt: Date } | null) =>
  w && [w.startsAt.toISOString().slice(0, 16), w.endsAt.toISOString().slice(0, 16)];

describe('topologies/loadDevices: maintenance windows', () => {
  it('reads the typed device window, with one side missing', () => {
    assert.deepEqual(window(deviceTableWindow(d('2026-11-25T10:00Z'), d('2026-11-25T12:00Z'), NOW)), [
      '2026-11-25T10:00',
      '2026-11-25T12:00',
    ]);
    assert.equal(deviceTableWindow(d('2026-11-25T12:00Z'), d('2026-11-25T10:00Z'), NOW), null);
    assert.deepEqual(window(deviceTableWindow(d('2026-11-25T10:00Z'), null, NOW)), [
      '2026-11-25T10:00',
      '2026-11-26T10:00',
    ]);
    assert.deepEqual(window(deviceTableWindow(null, d('2026-11-25T10:00Z'), NOW)), [
      '2026-11-24T12:00',
      '2026-11-25T10:00',
    ]);
    assert.equal(deviceTableWindow(null, d('2026-11-24T10:00Z'), NOW), null);
    assert.equal(deviceTableWindow(null, null, NOW), null);
  });

  it('reads a maintenance record: its day, until performed, in progress, or nothing', () => {
    const rec = (status: string, scheduled: string | null, performed: string | null = null) =>
      window(
        maintenanceRecordWindow(
          {
            status,
            scheduledDate: scheduled ? d(scheduled) : null,
            performedDate: performed ? d(performed) : null,
          },
          NOW,
        ),
      );
    assert.deepEqual(rec('scheduled', '2026-11-26T00:00Z'), ['2026-11-26T00:00', '2026-11-27T00:00']);
    assert.deepEqual(rec('scheduled', '2026-11-23T00:00Z', '2026-11-25T06:00Z'), [
      '2026-11-23T00:00',
      '2026-11-25T06:00',
    ]);
    // Performed before it was scheduled: the day it was performed.
    assert.deepEqual(rec('scheduled', '2026-11-26T00:00Z', '2026-11-25T00:00Z'), [
      '2026-11-25T00:00',
      '2026-11-26T00:00',
    ]);
    assert.deepEqual(rec('overdue', null, '2026-11-25T00:00Z'), ['2026-11-25T00:00', '2026-11-26T00:00']);
    assert.deepEqual(rec(' IN_PROGRESS ', '2026-11-01T00:00Z'), ['2026-11-01T00:00', '2026-11-25T12:00']);
    assert.deepEqual(rec('in progress', '2026-11-24T08:00Z', '2026-11-24T20:00Z'), [
      '2026-11-24T08:00',
      '2026-11-24T20:00',
    ]);
    for (const status of ['cancelled', 'Canceled', 'completed', 'DONE']) {
      assert.equal(rec(status, '2026-11-26T00:00Z'), null, status);
    }
    assert.equal(rec('scheduled', null, null), null);
  });
});

describe('topologies/load: set-based loading', () => {
  let db: TestDatabase;
  let small: World;
  let large: World;

  before(async () => {
    db = await migratedDatabase();
    small = await buildWorld(db.knex, 'small', 10);
    large = await buildWorld(db.knex, 'large', 200);
  });
  after(async () => {
    await db?.drop();
  });

  async function toLoad(world: World): Promise<TopologyToLoad> {
    const row = await db.knex('topology_table').where({ id: world.topologyId }).first();
    return { topologyId: row.id, requesterId: row.user_id, graph: parseTopology(row) };
  }

  async function counting<T>(fn: (knex: Knex) => Promise<T>): Promise<{ value: T; queries: string[] }> {
    const queries: string[] = [];
    const listener = (q: { sql: string }) => queries.push(q.sql);
    db.knex.on('query', listener);
    try {
      return { value: await fn(db.knex), queries };
    } finally {
      db.knex.off('query', listener);
    }
  }

  it('loads everything a review needs in the same few queries for 10 devices as for 200', async () => {
    const counts: number[] = [];
    for (const [world, size] of [
      [small, 10],
      [large, 200],
    ] as const) {
      const input = await toLoad(world);
      const { value, queries } = await counting((knex) => loadTopologyFacts(knex, input, { now: NOW }));
      const { facts, deviceIds } = value;
      assert.equal(facts.devices.size, size);
      assert.deepEqual(deviceIds, world.deviceIds);
      assert.equal(facts.requesterBookings.length, size);
      assert.equal(facts.otherBookings.length, size);
      // In_Port and Out_Port of every device, each in the other user's one booking window.
      assert.equal(facts.otherTopologyPorts.length, 2 * size);
      assert.ok([...facts.devices.values()].every((dev) => dev.maintenance.length === 2));
      counts.push(queries.length);
    }
    assert.equal(counts[0], counts[1]);
    assert.equal(counts[0], 6, 'devices, records, requester bookings, other bookings, windows, their JSON');
  });

  it('loads several topologies in the same queries, each with its own facts', async () => {
    const inputs = [await toLoad(small), await toLoad(large)];
    const { value: many, queries } = await counting((knex) =>
      loadTopologyFactsMany(knex, inputs, { now: NOW }),
    );
    assert.equal(queries.length, 6);
    for (const input of inputs) {
      const alone = await loadTopologyFacts(db.knex, input, { now: NOW });
      const together = many.get(input.topologyId);
      assert.deepEqual(together?.deviceIds, alone.deviceIds);
      assert.deepEqual([...(together?.facts.devices.keys() ?? [])], [...alone.facts.devices.keys()]);
      assert.deepEqual(together?.facts.requesterBookings, alone.facts.requesterBookings);
      assert.deepEqual(together?.facts.otherBookings, alone.facts.otherBookings);
      assert.deepEqual(together?.facts.otherTopologyPorts, alone.facts.otherTopologyPorts);
    }
  });

  it('makes no query for a topology that names no device', async () => {
    const { value, queries } = await counting((knex) =>
      loadTopologyFacts(
        knex,
        { topologyId: 1, requesterId: small.requester, graph: { nodes: [] } },
        { now: NOW },
      ),
    );
    assert.equal(value.facts.devices.size, 0);
    assert.deepEqual(queries, []);
  });
});
