import assert from 'node:assert/strict';
import { classifyError } from '../../src/errors';
import { HANDLER_MODULES } from '../../src/handlers';
import { HandlerError } from '../../src/queues/process-event';
import { createTopologyHandlers } from '../../src/topologies/handlers';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { deliver, deliverBatch, registryOf, registryWithDeps } from '../support/events';
import { snapshotOf } from '../support/rules';
import { at, Lab, NOW, node } from './lab';

describe('topologies/handlers: topology and device events', () => {
  let db: TestDatabase;
  let lab: Lab;
  let requester: number;
  // No policies: these tests are about the built-in checks and the fan-out (see policies.test.ts).
  const noPolicies = snapshotOf();
  const handlers = registryOf(createTopologyHandlers({ now: () => NOW, rules: () => noPolicies }));

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    requester = await lab.user('requester');
  });
  after(async () => {
    await db?.drop();
  });

  it('reviews a submitted topology: outcome, findings and the event in the audit entry', async () => {
    const a = await lab.device({ inPort: 1, outPort: 2 });
    await lab.booking({ deviceId: a.id, userId: requester, from: at(20), to: at(24) });
    const id = await lab.topology(requester, [node('a', a.id), node('b', 999_999)], []);
    const result = await deliver(db.knex, handlers, 'topology.submitted', { topologyId: id });
    assert.equal(result.outcome, 'completed');
    const review = await lab.review(id);
    assert.equal(review.status, 'conflicts');
    assert.equal(review.last_checked_at.toISOString(), NOW.toISOString());
    const findings = await lab.findings(id);
    assert.deepEqual(
      findings.map((f) => [f.kind, f.node_id, f.device_id]),
      [['unknown_device', 'b', 999_999]],
    );
    assert.deepEqual(result.outcome === 'completed' && result.results.topologies, {
      outcome: 'conflicts',
      reviewId: review.id,
      stale: false,
      findings: 1,
    });
    const audit = await db
      .knex('admin_audit_log')
      .where({ entity_id: String(review.id) })
      .first();
    assert.equal(audit.payload.trigger.job, 'topology.submitted');
  });

  it('classifies a review of a topology that does not exist (yet) as not_found', async () => {
    await assert.rejects(
      deliver(db.knex, handlers, 'topology.submitted', { topologyId: 888_888 }),
      (error: unknown) => error instanceof HandlerError && classifyError(error.cause) === 'not_found',
    );
  });

  it('enqueues, after commit, one recheck per reviewed topology using a device whose maintenance changed', async () => {
    const shared = await lab.device();
    const other = await lab.device();
    const t1 = await lab.topology(requester, [node('a', shared.id)], []);
    const t2 = await lab.topology(requester, [node('a', shared.id), node('b', other.id)], []);
    const t3 = await lab.topology(requester, [node('b', other.id)], []);
    for (const topologyId of [t1, t2, t3]) {
      await deliver(db.knex, handlers, 'topology.submitted', { topologyId });
    }

    const result = await deliver(db.knex, handlers, 'device.maintenance_changed', {
      deviceId: shared.id,
      previous: { startsAt: null, endsAt: null },
    });
    assert.equal(result.outcome, 'completed');
    assert.deepEqual(
      result.followUps.map((f) => [f.name, f.payload.topologyId]),
      [
        ['topology.recheck', t1],
        ['topology.recheck', t2],
      ],
    );
    // Recorded with the event, so a redelivery re-sends the same rechecks (same eventIds).
    const row = await db.knex('processed_events').where({ job_name: 'device.maintenance_changed' }).first();
    assert.deepEqual(
      row.follow_ups.map((f: { payload: { eventId: string } }) => f.payload.eventId),
      result.followUps.map((f) => f.payload.eventId),
    );

    // A recheck reviews the topology again: the device now under maintenance shows up.
    await db.knex('device_table').where({ id: shared.id }).update({ status: 'maintenance' });
    await deliver(db.knex, handlers, 'topology.recheck', { topologyId: t1 });
    assert.ok(
      (await lab.kinds(t1)).some((k) => k.startsWith('device_unavailable') || k.includes('maintenance')),
    );
  });

  it('enqueues nothing for a device no reviewed topology uses', async () => {
    const lonely = await lab.device();
    const result = await deliver(db.knex, handlers, 'device.status_changed', {
      deviceId: lonely.id,
      previous: { status: 'available' },
    });
    assert.deepEqual(result.followUps, []);
  });

  it("runs the rules' and the rollups' handlers and then the topology fan-out for a device event, with the build's modules", async () => {
    const device = await lab.device();
    const id = await lab.topology(requester, [node('a', device.id)], []);
    await deliver(db.knex, handlers, 'topology.submitted', { topologyId: id });
    const build = await registryWithDeps(...HANDLER_MODULES);
    const result = await deliver(db.knex, build.handlers, 'device.maintenance_changed', {
      deviceId: device.id,
      previous: { startsAt: null, endsAt: null },
    }).finally(() => build.rules.close());
    assert.deepEqual(Object.keys(result.outcome === 'completed' ? result.results : {}), [
      'rules',
      'rollups',
      'topologies',
    ]);
    assert.deepEqual(
      result.followUps.map((f) => f.payload.topologyId),
      [id],
    );
  });

  it('rechecks the topologies using the device of a booking updated to confirmed, and only then', async () => {
    const device = await lab.device();
    const id = await lab.topology(requester, [node('a', device.id)], []);
    await deliver(db.knex, handlers, 'topology.submitted', { topologyId: id });
    const bookingId = await lab.booking({
      deviceId: device.id,
      userId: requester,
      from: at(30),
      to: at(32),
      status: 'pending',
    });
    const previous = { deviceId: device.id, startTime: at(30).toISOString(), endTime: at(32).toISOString() };
    const pending = await deliver(db.knex, handlers, 'booking.updated', { bookingId, previous });
    assert.deepEqual(pending.followUps, []);

    await db.knex('booking_table').where({ booking_id: bookingId }).update({ status: 'confirmed' });
    const confirmed = await deliver(db.knex, handlers, 'booking.updated', { bookingId, previous });
    assert.deepEqual(
      confirmed.followUps.map((f) => [f.name, f.payload.topologyId]),
      [['topology.recheck', id]],
    );
  });

  it('rechecks, once each, the topologies using the devices of a reservation created confirmed; nothing for a pending one', async () => {
    const a = await lab.device();
    const b = await lab.device();
    const both = await lab.topology(requester, [node('a', a.id), node('b', b.id)], []);
    const onlyB = await lab.topology(requester, [node('b', b.id)], []);
    for (const topologyId of [both, onlyB]) {
      await deliver(db.knex, handlers, 'topology.submitted', { topologyId });
    }
    const other = await lab.user('other');
    const pending = await lab.booking({
      deviceId: a.id,
      userId: other,
      from: at(50),
      to: at(52),
      status: 'pending',
    });
    assert.deepEqual(
      (await deliver(db.knex, handlers, 'booking.created', { bookingId: pending })).followUps,
      [],
    );

    const group = `grp-created-${a.id}`;
    const first = await lab.booking({ deviceId: a.id, userId: other, from: at(60), to: at(62), group });
    await lab.booking({ deviceId: b.id, userId: other, from: at(60), to: at(62), group });
    const created = await deliver(db.knex, handlers, 'booking.created', { bookingId: first });
    assert.deepEqual(
      created.followUps.map((f) => [f.name, f.payload.topologyId]),
      [
        ['topology.recheck', both],
        ['topology.recheck', onlyB],
      ],
    );
    // A booking that does not exist (yet) sends nothing; the rollups' handler retries such events.
    assert.deepEqual(
      (await deliver(db.knex, handlers, 'booking.created', { bookingId: 987_654 })).followUps,
      [],
    );
  });
  it('in a batch, sends each booking event the rechecks it sends alone', async () => {
    const a = await lab.device();
    const b = await lab.device();
    const usesA = await lab.topology(requester, [node('a', a.id)], []);
    const usesBoth = await lab.topology(requester, [node('a', a.id), node('b', b.id)], []);
    for (const topologyId of [usesA, usesBoth]) {
      await deliver(db.knex, handlers, 'topology.submitted', { topologyId });
    }
    const other = await lab.user('batch-other');
    const confirmedA = await lab.booking({ deviceId: a.id, userId: other, from: at(70), to: at(72) });
    const confirmedB = await lab.booking({ deviceId: b.id, userId: other, from: at(70), to: at(72) });
    const pending = await lab.booking({
      deviceId: a.id,
      userId: other,
      from: at(80),
      to: at(82),
      status: 'pending',
    });
    const ids = [confirmedA, pending, confirmedB, 987_655];
    const rechecks = (r: Awaited<ReturnType<typeof deliver>>) =>
      r.followUps.map((f) => [f.name, f.payload.topologyId]);
    for (const job of ['booking.created', 'booking.updated'] as const) {
      const inputs = ids.map((bookingId) =>
        job === 'booking.created'
          ? { bookingId }
          : {
              bookingId,
              previous: { deviceId: a.id, startTime: at(70).toISOString(), endTime: at(72).toISOString() },
            },
      );
      const together = await deliverBatch(db.knex, handlers, job, inputs as never);
      const alone = [];
      for (const input of inputs) alone.push(await deliver(db.knex, handlers, job, input as never));
      assert.deepEqual(together.map(rechecks), alone.map(rechecks), job);
      assert.deepEqual(
        together.map(rechecks),
        [
          [
            ['topology.recheck', usesA],
            ['topology.recheck', usesBoth],
          ],
          [],
          [['topology.recheck', usesBoth]],
          [],
        ],
        job,
      );
    }
  });
});
