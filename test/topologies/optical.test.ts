import assert from 'node:assert/strict';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { edge, Lab, node } from './lab';

// Two users want switch port 2 (device D's Out_Port). Alice's topology is approved and she has
// D booked 08:00-12:00; the topology under review needs D in its requester's booking.
describe('topologies/service: optical-path conflicts across topologies', () => {
  let db: TestDatabase;
  let lab: Lab;
  let alice: number;
  let bob: number;
  let carol: number;
  let d: { id: number; polatisName: string };
  let f: { id: number; polatisName: string };
  let aliceTopology: number;

  const day = (h: number) => new Date(Date.UTC(2026, 10, 26, h));

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    [alice, bob, carol] = [await lab.user('alice'), await lab.user('bob'), await lab.user('carol')];
    d = await lab.device({ inPort: 1, outPort: 2 });
    const e = await lab.device({ inPort: 3, outPort: 4 });
    f = await lab.device({ inPort: 5, outPort: 6 });
    await lab.booking({ deviceId: d.id, userId: alice, from: day(8), to: day(12) });
    // Alice names D by polatis name: the other topology is resolved like its own review.
    aliceTopology = await lab.topology(
      alice,
      [node('x', { polatisName: d.polatisName.toLowerCase() }), node('y', e.id)],
      [edge('a1', 'x', 'y', 'out-2', 'in-3')],
    );
    const check = await lab.check(aliceTopology);
    assert.equal(check.result.outcome, 'approved', check.result.notes);

    await lab.booking({ deviceId: d.id, userId: bob, from: day(10), to: day(14), status: 'pending' });
    await lab.booking({ deviceId: d.id, userId: carol, from: day(12), to: day(16), status: 'pending' });
    for (const user of [bob, carol]) {
      await lab.booking({ deviceId: f.id, userId: user, from: day(8), to: day(16), status: 'pending' });
    }
  });
  after(async () => {
    await db?.drop();
  });

  it('reports a switch port used by another approved topology in an overlapping window', async () => {
    const id = await lab.topology(
      bob,
      [node('p', d.id), node('q', f.id)],
      [edge('b1', 'p', 'q', 'out-2', 'in-5')],
    );
    await lab.check(id);
    const optical = (await lab.findings(id)).filter((f) => f.kind === 'optical_path_conflict');
    assert.equal(optical.length, 1);
    assert.equal(optical[0]?.edge_id, 'b1');
    assert.equal(optical[0]?.device_id, d.id);
    assert.equal(optical[0]?.detail.otherTopologyId, aliceTopology);
    assert.equal(optical[0]?.detail.port, 2);
    assert.match(
      optical[0]?.message ?? '',
      new RegExp(
        `switch port 2 of device ${d.id} \\(edge "b1"\\) is needed during booking \\d+ \\(2026-11-26T10:00Z–2026-11-26T14:00Z\\) but approved topology ${aliceTopology} uses it 2026-11-26T08:00Z–2026-11-26T12:00Z`,
      ),
    );
    assert.equal((await lab.review(id)).status, 'conflicts');
  });

  it('reports nothing when the windows do not overlap (half-open: 12:00 ends one, starts the other)', async () => {
    const id = await lab.topology(
      carol,
      [node('p', d.id), node('q', f.id)],
      [edge('c1', 'p', 'q', 'out-2', 'in-5')],
    );
    const check = await lab.check(id);
    assert.deepEqual(
      check.result.findings.filter(
        (f) => f.kind === 'optical_path_conflict' || f.kind === 'booking_conflict',
      ),
      [],
    );
    assert.equal(check.result.outcome, 'approved');
  });

  it('reports nothing for a different port of the same device', async () => {
    // F's Out_Port 6 into D's In_Port 1: D's port 1 is not one Alice uses.
    const id = await lab.topology(
      bob,
      [node('p', d.id), node('q', f.id)],
      [edge('b2', 'q', 'p', 'out-6', 'in-1')],
    );
    const check = await lab.check(id);
    assert.deepEqual(
      check.result.findings.filter((f) => f.kind === 'optical_path_conflict'),
      [],
    );
  });

  it('ignores the other topology once its review is no longer approved', async () => {
    await db
      .knex('topology_review')
      .where({ topology_id: aliceTopology })
      .update({ status: 'needs_approval' });
    try {
      const id = await lab.topology(
        bob,
        [node('p', d.id), node('q', f.id)],
        [edge('b3', 'p', 'q', 'out-2', 'in-5')],
      );
      const check = await lab.check(id);
      assert.deepEqual(
        check.result.findings.filter((f) => f.kind === 'optical_path_conflict'),
        [],
      );
    } finally {
      await db.knex('topology_review').where({ topology_id: aliceTopology }).update({ status: 'approved' });
    }
  });

  it("ignores the other topology's owner's bookings that are not confirmed", async () => {
    const g = await lab.device({ inPort: 7, outPort: 8 });
    const h = await lab.device({ inPort: 9, outPort: 10 });
    await lab.booking({ deviceId: g.id, userId: alice, from: day(8), to: day(12), status: 'pending' });
    const mine = await lab.topology(
      alice,
      [node('x', g.id), node('y', h.id)],
      [edge('a2', 'x', 'y', 'out-8', 'in-9')],
    );
    await db.knex('topology_review').insert({
      topology_id: mine,
      status: 'approved',
      conflict_count: 0,
      created_at: '2026-11-20T00:00:00Z',
      updated_at: '2026-11-20T00:00:00Z',
    });
    await db.knex('topology_devices').insert([{ topology_id: mine, device_id: g.id }]);
    await lab.booking({ deviceId: g.id, userId: bob, from: day(9), to: day(11), status: 'pending' });
    const id = await lab.topology(
      bob,
      [node('p', g.id), node('q', h.id)],
      [edge('b4', 'p', 'q', 'out-8', 'in-9')],
    );
    const check = await lab.check(id);
    assert.deepEqual(
      check.result.findings.filter((f) => f.kind === 'optical_path_conflict'),
      [],
    );
    await db.knex('booking_table').where({ device_id: g.id, user_id: alice }).update({ status: 'confirmed' });
    const again = await lab.check(id, { now: new Date('2026-11-24T13:00:00Z') });
    assert.deepEqual(
      again.result.findings
        .filter((f) => f.kind === 'optical_path_conflict')
        .map((f) => f.detail.otherTopologyId),
      [mine],
    );
  });
});
