import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { type SeedSummary, seedLab } from '../../src/demo/seed';
import { type BookingFact, buildTopologyFacts, type TopologyDeviceFacts } from '../../src/topologies/facts';
import { parseTopology } from '../../src/topologies/parse';
import { reviewTopology } from '../../src/topologies/review';
import { migratedDatabase, type TestDatabase } from '../support/db';

const NOW = new Date('2026-11-24T14:00:00Z');

/**
 * A plain facts load for a seeded topology (every device, every booking ending after now): enough
 * to review the seeded lab with the review core, not the worker's set-based loader.
 */
async function review(db: Knex, topologyId: number) {
  const topology = await db('topology_table').where({ id: topologyId }).first();
  const graph = parseTopology({ nodes: topology.nodes, edges: topology.edges });
  const devices = (await db('linked_devices').select()).map(
    (d): TopologyDeviceFacts => ({
      deviceId: d.device_id,
      name: d.device_name,
      polatisName: d.polatis_name,
      deviceType: d.device_type_name,
      isSchedulable: d.device_type_id === null ? null : d.is_schedulable,
      schedulerStatus: d.scheduler_status,
      inventoryStatus: d.inventory_status,
      inPort: d.in_port,
      outPort: d.out_port,
      polatisPortRange: d.polatis_port_range,
      maintenance:
        d.maintenance_starts_at && d.maintenance_ends_at && d.maintenance_ends_at > NOW
          ? [{ startsAt: d.maintenance_starts_at, endsAt: d.maintenance_ends_at, source: 'device_table' }]
          : [],
    }),
  );
  const bookings = (
    await db('booking_table')
      .where('end_time', '>', NOW)
      .whereNotIn('status_canonical', ['rejected', 'cancelled', 'completed'])
  ).map((b) => ({
    fact: {
      bookingId: b.booking_id,
      groupedBookingId: b.grouped_booking_id,
      deviceId: b.device_id,
      userId: b.user_id,
      startsAt: b.start_time,
      endsAt: b.end_time,
      status: b.status_canonical,
    } satisfies BookingFact,
    collaborator: b.is_collaborator as boolean,
  }));
  const facts = buildTopologyFacts({
    topologyId,
    requesterId: topology.user_id,
    devices,
    requesterBookings: bookings.filter((b) => b.fact.userId === topology.user_id).map((b) => b.fact),
    otherBookings: bookings
      .filter((b) => b.fact.userId !== topology.user_id && !b.collaborator && b.fact.status === 'confirmed')
      .map((b) => b.fact),
  });
  const result = reviewTopology(graph, facts, { now: NOW });
  return { outcome: result.outcome, kinds: [...new Set(result.findings.map((f) => f.kind))].sort() };
}

describe('demo seed: topologies', () => {
  let db: TestDatabase;
  let summary: SeedSummary;

  before(async () => {
    db = await migratedDatabase();
    summary = await seedLab(db.knex, { seed: 1, now: NOW });
  });

  after(() => db?.drop());

  it('review as the demo says: approved, conflicting, clean, invalid, stale', async () => {
    const t = summary.notable.topologies;
    assert.deepEqual(await review(db.knex, t.approved), { outcome: 'approved', kinds: [] });
    const conflicting = await review(db.knex, t.conflicting);
    assert.equal(conflicting.outcome, 'conflicts');
    assert.ok(conflicting.kinds.includes('booking_conflict'), conflicting.kinds.join(', '));
    assert.ok(conflicting.kinds.includes('port_out_of_range'), conflicting.kinds.join(', '));
    assert.deepEqual(await review(db.knex, t.clean), { outcome: 'approved', kinds: [] });
    const invalid = await review(db.knex, t.invalid);
    assert.equal(invalid.outcome, 'invalid');
    assert.ok(invalid.kinds.includes('edge_unknown_node'), invalid.kinds.join(', '));
    const stale = await review(db.knex, t.stale as number);
    assert.ok(stale.kinds.includes('device_retired'), stale.kinds.join(', '));
  });
});
