// Re-evaluation: what a device change, a cancelled booking and a change of the rules make stale
// is fanned out as one `booking.reevaluate` per reservation (deterministic eventIds), and each
// decides the reservation again with the current rows.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { reevaluationEventId } from '../../src/decisions/event-ids';
import type { FollowUp, ProcessResult } from '../../src/queues/process-event';
import { at, BookingLab, NOW } from '../rules/booking-lab';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { decisionsOf, type RulesHarness, rulesHarness } from './support';

function followUpsOf(result: ProcessResult): FollowUp[] {
  return [...result.followUps];
}

function targets(result: ProcessResult): string[] {
  return followUpsOf(result)
    .map((f) => {
      assert.equal(f.name, 'booking.reevaluate');
      return String(f.payload.groupedBookingId);
    })
    .sort();
}

/** Legacy maintenance strings as the scheduler writes them (UTC). */
const legacy = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

describe('decisions: re-evaluation fan-out', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let lab: BookingLab;
  let rules: RulesHarness;

  before(async () => {
    db = await migratedDatabase();
    lab = new BookingLab(db.knex);
    rules = await rulesHarness(db.knex, () => NOW);
  });
  after(async () => {
    await rules?.close();
    await db?.drop();
  });

  /**
   * A device with reservations: upcoming ones meeting the windows below, one elsewhere, one over,
   * one under way (it started an hour ago), one cancelled.
   */
  async function deviceWithReservations() {
    const device = await lab.device({ inventory: {} });
    const user = await lab.user();
    const book = async (start: number, end: number, status = 'pending') =>
      (await lab.reservation([{ device, user, start: at(start), end: at(end), status }])).group;
    return {
      device,
      inNewWindow: await book(30, 32),
      inOldWindow: await book(50, 52, 'confirmed'),
      elsewhere: await book(70, 72),
      over: await book(-5, -3),
      underWay: await book(-1, 2, 'confirmed'),
      cancelled: await book(30, 31, 'cancelled'),
    };
  }

  it('device.maintenance_changed re-evaluates the upcoming reservations meeting the old or the new window', async () => {
    const r = await deviceWithReservations();
    await db
      .knex('device_table')
      .where({ id: r.device })
      .update({ maintenance_start: legacy(at(29)), maintenance_end: legacy(at(33)) });
    const eventId = randomUUID();
    const previous = { startsAt: at(49).toISOString(), endsAt: at(53).toISOString() };
    const result = await rules.deliver('device.maintenance_changed', {
      eventId,
      deviceId: r.device,
      previous,
    });
    assert.deepEqual(targets(result), [r.inNewWindow, r.inOldWindow].sort());
    for (const f of followUpsOf(result)) {
      assert.equal(f.payload.cause, 'device.maintenance_changed');
      assert.equal(f.payload.eventId, reevaluationEventId(eventId, String(f.payload.groupedBookingId)));
    }
    // Delivered again, the event sends the same follow-ups (same eventIds): they run once.
    const again = await rules.deliver('device.maintenance_changed', {
      eventId,
      deviceId: r.device,
      previous,
    });
    assert.equal(again.outcome, 'duplicate');
    assert.deepEqual(
      again.followUps.map((f) => f.payload.eventId),
      result.followUps.map((f) => f.payload.eventId),
    );

    const runs = await rules.runFollowUps(followUpsOf(result));
    assert.ok(runs.every((run) => run.outcome === 'completed'));
    const [denied] = await decisionsOf(db.knex, r.inNewWindow);
    assert.equal(denied?.outcome, 'deny');
    assert.equal(denied.trigger, 'booking.reevaluate');
    assert.deepEqual(
      denied.reasons.map((x) => x.code),
      ['MAINTENANCE_WINDOW'],
    );
    const [freed] = await decisionsOf(db.knex, r.inOldWindow);
    assert.equal(freed?.outcome, 'allow');
    assert.deepEqual(await decisionsOf(db.knex, r.elsewhere), []);
  });

  it('device.status_changed re-evaluates every upcoming live reservation of the device, not one under way', async () => {
    const r = await deviceWithReservations();
    await db.knex('device_table').where({ id: r.device }).update({ status: 'offline' });
    const result = await rules.deliver('device.status_changed', {
      deviceId: r.device,
      previous: { status: 'available' },
    });
    assert.deepEqual(targets(result), [r.inNewWindow, r.inOldWindow, r.elsewhere].sort());
    await rules.runFollowUps(followUpsOf(result));
    for (const group of [r.inNewWindow, r.inOldWindow, r.elsewhere]) {
      const [decision] = await decisionsOf(db.knex, group);
      assert.equal(decision?.outcome, 'deny');
      assert.ok(
        decision.reasons.some((x) => x.code === 'DEVICE_OUT_OF_SERVICE'),
        JSON.stringify(decision.reasons),
      );
    }
  });

  it('booking.cancelled re-evaluates the pending reservations of the device its window blocked, not itself', async () => {
    const device = await lab.device({ inventory: {} });
    const owner = await lab.user();
    const { group: cancelledGroup, ids } = await lab.reservation([
      { device, user: owner, start: at(20), end: at(24), status: 'confirmed' },
    ]);
    const waiting = (await lab.reservation([{ device, user: await lab.user(), start: at(22), end: at(26) }]))
      .group;
    const approval = (
      await lab.reservation([
        { device, user: await lab.user(), start: at(18), end: at(21), status: 'pending_approval' },
      ])
    ).group;
    const later = (await lab.reservation([{ device, user: await lab.user(), start: at(40), end: at(42) }]))
      .group;
    await rules.deliver('booking.created', {
      bookingId: (await db.knex('booking_table').where({ grouped_booking_id: waiting }).first()).booking_id,
    });
    assert.equal(
      (await decisionsOf(db.knex, waiting))[0]?.outcome,
      'deny',
      'blocked while the booking stood',
    );

    await db.knex('booking_table').where({ booking_id: ids[0]! }).update({ status: 'cancelled' });
    const result = await rules.deliver('booking.cancelled', {
      bookingId: ids[0]!,
      previous: { deviceId: device, startTime: at(20).toISOString(), endTime: at(24).toISOString() },
    });
    assert.deepEqual(targets(result), [waiting, approval].sort());
    assert.ok(!targets(result).includes(cancelledGroup) && !targets(result).includes(later));
    assert.deepEqual(
      await decisionsOf(db.knex, cancelledGroup),
      [],
      'nothing is decided about the cancelled booking',
    );
    await rules.runFollowUps(followUpsOf(result));
    const decisions = await decisionsOf(db.knex, waiting);
    assert.deepEqual(
      decisions.map((d) => [d.trigger, d.outcome]),
      [
        ['booking.created', 'deny'],
        ['booking.reevaluate', 'allow'],
      ],
    );
  });

  it('booking.updated of a booking moved away re-evaluates what its previous window blocked; one not moved, nothing', async () => {
    const device = await lab.device({ inventory: {} });
    const other = await lab.device({ inventory: {} });
    const { group: movedGroup, ids } = await lab.reservation([
      { device, user: await lab.user(), start: at(120), end: at(124), status: 'confirmed' },
    ]);
    const waiting = (
      await lab.reservation([{ device, user: await lab.user(), start: at(122), end: at(126) }])
    ).group;
    const previous = { deviceId: device, startTime: at(120).toISOString(), endTime: at(124).toISOString() };

    // Only its comment changed: decided again, nothing released.
    const same = await rules.deliver('booking.updated', { bookingId: ids[0]!, previous });
    assert.deepEqual(targets(same), []);
    assert.equal((await decisionsOf(db.knex, movedGroup)).at(-1)?.trigger, 'booking.updated');

    // Moved to another device: the reservation waiting for its old slot is decided again.
    await db.knex('booking_table').where({ booking_id: ids[0]! }).update({ device_id: other });
    const moved = await rules.deliver('booking.updated', { bookingId: ids[0]!, previous });
    assert.deepEqual(targets(moved), [waiting]);
    assert.deepEqual(
      followUpsOf(moved).map((f) => f.payload.cause),
      ['booking.updated'],
    );
    await rules.runFollowUps(followUpsOf(moved));
    assert.deepEqual(
      (await decisionsOf(db.knex, waiting)).map((d) => [d.trigger, d.outcome]),
      [['booking.reevaluate', 'allow']],
    );
  });

  it('in enforce mode confirms a reservation a cancellation freed, and counts it in the utilization rollups', async () => {
    const device = await lab.device({ inventory: {} });
    const { ids } = await lab.reservation([
      { device, user: await lab.user(), start: at(80), end: at(82), status: 'confirmed' },
    ]);
    const { group: waiting, ids: waitingIds } = await lab.reservation([
      { device, user: await lab.user(), start: at(81), end: at(83) },
    ]);
    await lab.setting('rules.enforcement', 'enforce');
    try {
      await db.knex('booking_table').where({ booking_id: ids[0]! }).update({ status: 'cancelled' });
      const result = await rules.deliver('booking.cancelled', {
        bookingId: ids[0]!,
        previous: { deviceId: device, startTime: at(80).toISOString(), endTime: at(82).toISOString() },
      });
      assert.deepEqual(targets(result), [waiting]);
      const [run] = await rules.runFollowUps(followUpsOf(result));
      assert.equal(run?.outcome === 'completed' && run.results.rules?.statusChanged, 1);
    } finally {
      await db.knex('admin_settings').where({ key: 'rules.enforcement' }).delete();
    }
    const row = await db.knex('booking_table').where({ booking_id: waitingIds[0]! }).first('status');
    assert.equal(row.status, 'confirmed');
    const booked = await db
      .knex('utilization_rollups')
      .where({ device_id: device, granularity: 'hour' })
      .whereIn('bucket_start', [at(81), at(82)])
      .select('booked_seconds');
    assert.deepEqual(
      booked.map((b) => Number(b.booked_seconds)),
      [3600, 3600],
      'the newly confirmed hours are booked time',
    );
  });

  it('rules.changed re-evaluates every live reservation that has not started, and nothing else', async () => {
    const r = await deviceWithReservations();
    const result = await rules.deliver('rules.changed', {
      revision: 'b'.repeat(12),
      previousRevision: 'a'.repeat(12),
    });
    const all = targets(result);
    for (const group of [r.inNewWindow, r.inOldWindow, r.elsewhere]) assert.ok(all.includes(group), group);
    for (const group of [r.over, r.underWay, r.cancelled]) assert.ok(!all.includes(group), group);
    const live = await db
      .knex('booking_table')
      .where('start_time', '>', NOW)
      .whereIn('status_canonical', ['pending', 'pending_approval', 'confirmed'])
      .countDistinct<Array<{ count: number }>>('grouped_booking_id as count');
    assert.equal(all.length, Number(live[0]!.count), 'one follow-up per reservation');
    assert.ok(followUpsOf(result).every((f) => f.payload.cause === 'rules.changed'));
  });

  it('booking.reevaluate skips a reservation that is over, under way, cancelled or gone, and records the skip', async () => {
    const r = await deviceWithReservations();
    for (const groupedBookingId of [r.over, r.underWay, r.cancelled, 'no-such-reservation']) {
      const result = await rules.deliver('booking.reevaluate', { groupedBookingId, cause: 'rules.changed' });
      assert.deepEqual(result.outcome === 'completed' && result.results.rules, {
        groupedBookingId,
        skipped: 'started_or_not_live',
      });
      assert.deepEqual(await decisionsOf(db.knex, groupedBookingId), []);
    }
  });
});
