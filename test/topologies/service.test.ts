import assert from 'node:assert/strict';
import { classifyError, RowNotFoundError } from '../../src/errors';
import { TopologyNotFoundError } from '../../src/topologies/store';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { at, edge, Lab, NOW, node } from './lab';

describe('topologies/service: reviews from real rows', () => {
  let db: TestDatabase;
  let lab: Lab;
  let requester: number;
  let other: number;

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    requester = await lab.user('requester');
    other = await lab.user('other');
  });
  after(async () => {
    await db?.drop();
  });

  it('approves a clean, booked topology and writes review, findings and audit entry', async () => {
    const a = await lab.device({ inPort: 1, outPort: 2 });
    const b = await lab.device({ inPort: 3, outPort: 4 });
    for (const d of [a, b])
      await lab.booking({ deviceId: d.id, userId: requester, from: at(20), to: at(24) });
    const id = await lab.topology(
      requester,
      [node('a', a.id), node('b', { polatisName: b.polatisName })],
      [edge('e1', 'a', 'b', 'out-2', 'in-3')],
    );
    const check = await lab.check(id, { trigger: { eventId: 'ev-1', job: 'topology.submitted' } });
    assert.equal(check.result.outcome, 'approved');
    assert.deepEqual(
      check.deviceIds,
      [a.id, b.id].sort((x, y) => x - y),
    );
    const review = await lab.review(id);
    assert.equal(review.status, 'approved');
    assert.equal(review.conflict_count, 0);
    assert.equal(review.last_checked_at.toISOString(), NOW.toISOString());
    assert.deepEqual(await lab.kinds(id), []);
    const audit = await db
      .knex('admin_audit_log')
      .where({ entity_id: String(review.id) })
      .first();
    assert.equal(audit.action, 'topology_review.checked');
    assert.equal(audit.payload.trigger.eventId, 'ev-1');
  });

  it('reports unknown devices named by id and by polatis name', async () => {
    const id = await lab.topology(
      requester,
      [node('a', 999_999), node('b', { polatisName: 'no-such-name' })],
      [],
    );
    await lab.check(id);
    const findings = await lab.findings(id);
    assert.deepEqual(
      findings.map((f) => [f.kind, f.severity, f.node_id, f.device_id]),
      [
        ['unknown_device', 'error', 'a', 999_999],
        ['unknown_device', 'error', 'b', null],
      ],
    );
    assert.match(findings[1]?.message ?? '', /polatis name "no-such-name", which no device has/);
    const review = await lab.review(id);
    assert.equal(review.status, 'conflicts');
    assert.equal(review.conflict_count, 2);
  });

  it('reports devices that cannot be scheduled: a non-schedulable type, no type at all', async () => {
    const panel = await lab.device({ type: 'patch panel' });
    const untyped = await lab.device({ type: null });
    const id = await lab.topology(requester, [node('a', panel.id), node('b', untyped.id)], []);
    await lab.check(id);
    const findings = (await lab.findings(id)).filter((f) => f.kind === 'device_not_schedulable');
    assert.deepEqual(
      findings.map((f) => [f.device_id, f.severity]),
      [
        [panel.id, 'error'],
        [untyped.id, 'warning'],
      ],
    );
    assert.match(findings[0]?.message ?? '', /type "patch panel", which cannot be scheduled/);
  });

  it('reports retired devices by scheduler status and by inventory status', async () => {
    const retired = await lab.device({ status: 'Retired ' });
    const decommissioned = await lab.device({ inventory: { status: 'decommissioned' } });
    const id = await lab.topology(requester, [node('a', retired.id), node('b', decommissioned.id)], []);
    await lab.check(id);
    const findings = (await lab.findings(id)).filter((f) => f.kind === 'device_retired');
    assert.deepEqual(
      findings.map((f) => [f.device_id, f.detail.field]),
      [
        [retired.id, 'status'],
        [decommissioned.id, 'inventory status'],
      ],
    );
  });

  it('reports maintenance from the typed device window: now, within the horizon, during a booking', async () => {
    const now = await lab.device({
      maintenanceStart: '2026-11-24 11:00',
      maintenanceEnd: '2026-11-24 14:00',
    });
    const soon = await lab.device({
      maintenanceStart: '2026-11-26T09:00Z',
      maintenanceEnd: '2026-11-26T17:00Z',
    });
    const during = await lab.device({
      maintenanceStart: '2026-11-25 10:00',
      maintenanceEnd: '2026-11-25 11:00',
    });
    const later = await lab.device({
      maintenanceStart: '2026-12-24 10:00',
      maintenanceEnd: '2026-12-24 11:00',
    });
    const status = await lab.device({ status: 'under maintenance' });
    const booking = await lab.booking({
      deviceId: during.id,
      userId: requester,
      from: new Date('2026-11-25T09:00Z'),
      to: new Date('2026-11-25T12:00Z'),
      status: 'pending',
    });
    const id = await lab.topology(
      requester,
      [now, soon, during, later, status].map((d, i) => node(`n${i}`, d.id)),
      [],
    );
    await lab.check(id);
    const findings = (await lab.findings(id)).filter((f) => f.kind === 'device_maintenance');
    const by = (deviceId: number) => findings.filter((f) => f.device_id === deviceId);
    assert.equal(by(now.id)[0]?.severity, 'error');
    assert.match(
      by(now.id)[0]?.message ?? '',
      /is under maintenance now \(2026-11-24T11:00Z–2026-11-24T14:00Z\)/,
    );
    assert.equal(by(soon.id)[0]?.severity, 'warning');
    assert.match(by(soon.id)[0]?.message ?? '', /starting 2026-11-26T09:00Z, within 7 days/);
    assert.equal(by(during.id)[0]?.severity, 'error');
    assert.equal(by(during.id)[0]?.detail.bookingId, booking);
    assert.equal(by(during.id)[0]?.detail.source, 'device_table');
    assert.deepEqual(by(later.id), [], 'beyond the horizon and outside the bookings');
    assert.match(by(status.id)[0]?.message ?? '', /has status "under maintenance"/);
  });

  it('reports maintenance from inventory records mapped to scheduler devices', async () => {
    const inv = { status: 'active' };
    const booked = await lab.device({ inventory: inv });
    const upcoming = await lab.device({ inventory: inv });
    const ongoing = await lab.device({ inventory: inv });
    const performedLater = await lab.device({ inventory: inv });
    const quiet = await lab.device({ inventory: inv });
    const dayRecord = await lab.record({
      deviceId: booked.id,
      type: 'fibre clean',
      scheduled: new Date('2026-11-25T00:00Z'),
    });
    const booking = await lab.booking({
      deviceId: booked.id,
      userId: requester,
      from: new Date('2026-11-25T08:00Z'),
      to: new Date('2026-11-25T10:00Z'),
    });
    await lab.record({ deviceId: upcoming.id, scheduled: new Date('2026-11-27T00:00Z') });
    await lab.record({
      deviceId: ongoing.id,
      status: 'In Progress',
      scheduled: new Date('2026-11-20T00:00Z'),
    });
    await lab.record({
      deviceId: performedLater.id,
      scheduled: new Date('2026-11-23T00:00Z'),
      performed: new Date('2026-11-26T00:00Z'),
    });
    // Ignored: cancelled, completed, over.
    await lab.record({ deviceId: quiet.id, status: 'cancelled', scheduled: new Date('2026-11-25T00:00Z') });
    await lab.record({ deviceId: quiet.id, status: 'Completed', scheduled: new Date('2026-11-24T00:00Z') });
    await lab.record({ deviceId: quiet.id, scheduled: new Date('2026-11-20T00:00Z') });

    const devices = [booked, upcoming, ongoing, performedLater, quiet];
    const id = await lab.topology(
      requester,
      devices.map((d, i) => node(`n${i}`, d.id)),
      [],
    );
    await lab.check(id);
    const findings = (await lab.findings(id)).filter((f) => f.kind === 'device_maintenance');
    const by = (deviceId: number) => findings.filter((f) => f.device_id === deviceId);

    const [duringBooking] = by(booked.id);
    assert.equal(duringBooking?.severity, 'error');
    assert.equal(duringBooking?.detail.source, 'maintenance_record');
    assert.equal(duringBooking?.detail.recordId, dayRecord);
    assert.equal(duringBooking?.detail.bookingId, booking);
    assert.match(
      duringBooking?.message ?? '',
      /maintenance record \d+ \("fibre clean"\) 2026-11-25T00:00Z–2026-11-26T00:00Z during the requester's booking/,
    );
    assert.equal(by(upcoming.id)[0]?.severity, 'warning');
    assert.equal(by(ongoing.id)[0]?.severity, 'error');
    assert.match(
      by(ongoing.id)[0]?.message ?? '',
      /under maintenance record \d+ \("calibration"\) now \(2026-11-20T00:00Z–2026-11-25T12:00Z\)/,
    );
    assert.match(by(performedLater.id)[0]?.message ?? '', /now \(2026-11-23T00:00Z–2026-11-26T00:00Z\)/);
    assert.deepEqual(by(quiet.id), []);
  });

  it('reports ports outside In_Port/Out_Port and polatis_port_range, and an unreadable range', async () => {
    const a = await lab.device({ inPort: 1, outPort: 2 });
    const b = await lab.device({ inPort: 3, outPort: 4, inventory: { portRange: '10-16' } });
    const c = await lab.device({ inPort: 5, outPort: 6, inventory: { portRange: '1-8,,9' } });
    const id = await lab.topology(
      requester,
      [node('a', a.id), node('b', b.id), node('c', c.id)],
      [
        edge('e1', 'a', 'b', 'out-9', 'in-3'),
        edge('e2', 'a', 'b', 'out-2', '20'),
        edge('e3', 'b', 'a', '12', 'in-1'),
      ],
    );
    await lab.check(id);
    const findings = await lab.findings(id);
    assert.deepEqual(
      findings
        .filter((f) => f.kind === 'port_out_of_range')
        .map((f) => [f.edge_id, f.device_id, f.detail.port]),
      [
        ['e1', a.id, 9],
        ['e2', b.id, 20],
      ],
    );
    assert.match(
      findings.find((f) => f.edge_id === 'e2')?.message ?? '',
      /target port 20 is not a port of device \d+ \(In_Port 3, Out_Port 4, polatis_port_range 10-16\)/,
    );
    const range = findings.find((f) => f.kind === 'bad_port_range');
    assert.equal(range?.device_id, c.id);
    assert.equal(range?.severity, 'warning');
    assert.equal((await lab.review(id)).status, 'conflicts');
  });

  it('reports a port used by two edges and an edge from a port to itself', async () => {
    const a = await lab.device({ inPort: 1, outPort: 2 });
    const b = await lab.device({ inPort: 3, outPort: 4, inventory: { portRange: '10-16' } });
    const c = await lab.device({ inPort: 5, outPort: 6 });
    const id = await lab.topology(
      requester,
      [node('a', a.id), node('b', b.id), node('c', c.id)],
      [
        edge('e1', 'a', 'b', 'out-2', 'in-3'),
        edge('e2', 'a', 'c', 'out-2', 'in-5'),
        edge('e3', 'b', 'b', '12', '12'),
      ],
    );
    await lab.check(id);
    const findings = await lab.findings(id);
    assert.deepEqual(
      findings
        .filter((f) => f.kind === 'port_reused' || f.kind === 'self_loop')
        .map((f) => [f.kind, f.edge_id]),
      [
        ['port_reused', 'e2'],
        ['self_loop', 'e3'],
      ],
    );
  });

  it('reports the other device and port kinds from real rows: mismatch, duplicate, side, direction, missing port', async () => {
    const a = await lab.device({ inPort: 1, outPort: 2 });
    const b = await lab.device({ inPort: 3, outPort: 4 });
    const unpatched = await lab.device({ inPort: 5, outPort: 0 });
    const id = await lab.topology(
      requester,
      [
        node('a', a.id),
        { ...node('b', b.id), data: { deviceId: b.id, polatisName: a.polatisName } },
        node('a2', a.id),
        node('u', unpatched.id),
      ],
      [
        edge('e1', 'a', 'b', 'out-1', 'in-3'),
        edge('e2', 'a', 'b', 'out-2', 'out-4'),
        edge('e3', 'u', 'b', undefined, 'in-3'),
      ],
    );
    await lab.check(id);
    const kinds = (await lab.findings(id)).map((f) => `${f.kind}:${f.edge_id ?? f.node_id}`);
    for (const expected of [
      'device_ref_mismatch:b',
      'duplicate_device:a2',
      'port_side_mismatch:e1',
      'edge_direction:e2',
      'port_missing:e3',
    ]) {
      assert.ok(kinds.includes(expected), `${expected} in ${kinds.join(', ')}`);
    }
  });

  it("reports the requester's booking overlapping another user's confirmed booking, not adjacent or shared ones", async () => {
    const overlapped = await lab.device();
    const adjacent = await lab.device();
    const shared = await lab.device();
    const mine = await lab.booking({
      deviceId: overlapped.id,
      userId: requester,
      from: new Date('2026-11-25T10:00Z'),
      to: new Date('2026-11-25T14:00Z'),
      status: 'pending',
    });
    const theirs = await lab.booking({
      deviceId: overlapped.id,
      userId: other,
      from: new Date('2026-11-25T12:00Z'),
      to: new Date('2026-11-25T16:00Z'),
    });
    await lab.booking({
      deviceId: adjacent.id,
      userId: requester,
      from: at(22),
      to: at(26),
      status: 'pending',
    });
    await lab.booking({ deviceId: adjacent.id, userId: other, from: at(26), to: at(30) });
    // The other user's reservation with the requester as collaborator: one reservation.
    await lab.booking({ deviceId: shared.id, userId: other, from: at(22), to: at(26), group: 'shared-1' });
    await lab.booking({
      deviceId: shared.id,
      userId: requester,
      from: at(22),
      to: at(26),
      group: 'shared-1',
      collaborator: true,
    });
    // Not conflicts: the other user's pending and cancelled bookings.
    await lab.booking({ deviceId: adjacent.id, userId: other, from: at(22), to: at(26), status: 'pending' });
    await lab.booking({
      deviceId: adjacent.id,
      userId: other,
      from: at(22),
      to: at(26),
      status: 'Cancelled',
    });

    const id = await lab.topology(
      requester,
      [node('a', overlapped.id), node('b', adjacent.id), node('c', shared.id)],
      [],
    );
    await lab.check(id);
    const conflicts = (await lab.findings(id)).filter((f) => f.kind === 'booking_conflict');
    assert.deepEqual(
      conflicts.map((f) => [f.device_id, f.detail.bookingId, f.detail.otherBookingId, f.detail.otherUserId]),
      [[overlapped.id, mine, theirs, other]],
    );
    assert.match(
      conflicts[0]?.message ?? '',
      /2026-11-25T10:00Z–2026-11-25T14:00Z\) overlaps user \d+'s confirmed booking/,
    );
  });

  it('ignores bookings that are over, cancelled or rejected, noting devices without a booking', async () => {
    const d = await lab.device();
    await lab.booking({ deviceId: d.id, userId: requester, from: at(-30), to: at(-20) });
    await lab.booking({ deviceId: d.id, userId: requester, from: at(20), to: at(24), status: 'cancelled' });
    await lab.booking({ deviceId: d.id, userId: requester, from: at(30), to: at(34), status: 'rejected' });
    await lab.booking({ deviceId: d.id, userId: other, from: at(20), to: at(24) });
    const id = await lab.topology(requester, [node('a', d.id)], []);
    const check = await lab.check(id);
    assert.deepEqual(
      check.result.findings.map((f) => f.kind),
      ['device_not_booked'],
    );
  });

  it('merges policy findings given as a list or computed from the loaded facts', async () => {
    const d = await lab.device();
    await lab.booking({ deviceId: d.id, userId: requester, from: at(20), to: at(24) });
    const id = await lab.topology(requester, [node('a', d.id)], []);
    let seen: number[] = [];
    await lab.check(id, {
      policyFindings: ({ facts }) => {
        seen = [...facts.devices.keys()];
        return [
          {
            kind: 'policy',
            severity: 'warning',
            message: `topology uses ${facts.devices.size} devices; approval needed`,
            detail: { devices: facts.devices.size },
          },
        ];
      },
    });
    assert.deepEqual(seen, [d.id]);
    assert.equal((await lab.review(id)).status, 'needs_approval');
    await lab.check(id, {
      now: at(1),
      policyFindings: [{ kind: 'policy', severity: 'error', message: 'not yours', detail: {} }],
    });
    assert.equal((await lab.review(id)).status, 'conflicts');
    assert.deepEqual(await lab.kinds(id), ['policy:error']);
  });

  it('keeps a person’s resolution on a re-check, recording the new findings and count', async () => {
    const admin = await lab.user('admin');
    const id = await lab.topology(requester, [node('a', 999_998)], []);
    await db.knex('topology_review').insert({
      topology_id: id,
      status: 'approved',
      conflict_count: 0,
      resolved_at: '2026-11-20T09:00:00Z',
      resolved_by: admin,
      notes: 'looked fine to me',
      created_at: '2026-11-19T09:00:00Z',
      updated_at: '2026-11-20T09:00:00Z',
    });
    const check = await lab.check(id);
    assert.equal(check.recorded.statusKept, true);
    const review = await lab.review(id);
    assert.equal(review.status, 'approved');
    assert.equal(review.notes, 'looked fine to me');
    assert.equal(review.resolved_by, admin);
    assert.equal(review.conflict_count, 1);
    assert.deepEqual(await lab.kinds(id), ['unknown_device:error']);
  });

  it('refuses a topology that does not exist with a not-found error the runtime retries', async () => {
    await assert.rejects(lab.check(2_000_000_000), (error: unknown) => {
      assert.ok(error instanceof TopologyNotFoundError);
      assert.ok(error instanceof RowNotFoundError);
      assert.equal(error.table, 'topology_table');
      assert.equal(error.message, 'topology 2000000000 does not exist');
      assert.equal(classifyError(error), 'not_found');
      return true;
    });
    await assert.rejects(lab.check(1.5), (error: unknown) => classifyError(error) === 'invalid');
  });
});

describe('topologies/service: malformed JSON rows', () => {
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

  const cases: Array<[string, unknown, unknown, string[]]> = [
    ['JSON text that is not JSON', JSON.stringify('[{"id": "n1",'), '[]', ['not_json']],
    ['nodes that are not a list', '{"n1": {"deviceId": 1}}', '[]', ['not_a_list']],
    ['a node without an id', '[{"type": "device", "data": {"deviceId": 1}}]', '[]', ['node_bad_id']],
    [
      'an edge to a node that does not exist',
      '[{"id": "a"}]',
      '[{"id": "e1", "source": "a", "target": "zz"}]',
      ['edge_unknown_node'],
    ],
    ['a node that is not an object', '[7]', 'null', ['node_not_object', 'not_a_list']],
  ];
  for (const [title, nodes, edges, kinds] of cases) {
    it(`records an invalid outcome for ${title}, without throwing`, async () => {
      const id = await lab.topology(requester, nodes, edges);
      const check = await lab.check(id);
      assert.equal(check.result.outcome, 'invalid');
      const review = await lab.review(id);
      assert.equal(review.status, 'invalid');
      const found = (await lab.findings(id)).filter((f) => f.severity === 'error').map((f) => f.kind);
      assert.deepEqual([...new Set(found)].sort(), [...kinds].sort());
      assert.equal(review.conflict_count, found.length);
    });
  }
});
