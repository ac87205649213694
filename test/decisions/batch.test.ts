// Deciding booking events in batches (what a busy worker does, src/queues/batcher.ts) must record
// exactly what deciding them one by one records: the same outcome, reasons, statuses and audit
// entries per event, on real rows with the shipped rules; in enforce mode, overlapping requests of
// one batch are never both confirmed; the rollups of a batch are those of its events.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ProcessResult } from '../../src/queues/process-event';
import { rollupHandlers } from '../../src/rollups/handlers';
import { recomputeForWindows } from '../../src/rollups/incremental';
import { at, BookingLab, NOW } from '../rules/booking-lab';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { type DecisionRow, type RulesHarness, rulesHarness, statusOf } from './support';

const completed = (r: ProcessResult) => {
  assert.equal(r.outcome, 'completed');
  return r.outcome === 'completed' ? r.results : {};
};

describe('decisions: booking events decided in batches', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let lab: BookingLab;
  let rules: RulesHarness;

  before(async () => {
    db = await migratedDatabase();
    lab = new BookingLab(db.knex);
    rules = await rulesHarness(db.knex, () => NOW, { extraModules: [rollupHandlers] });
    await lab.setting('rules.approvalLimits', {
      user: { maxHours: 4, maxDevices: 1 },
      Operator: { maxHours: 24, maxDevices: 4 },
    });
  });
  beforeEach(async () => {
    await db.knex('admin_settings').where({ key: 'rules.enforcement' }).delete();
  });
  after(async () => {
    await rules?.close();
    await db?.drop();
  });

  const decisionsOfEvent = async (eventId: string) =>
    (await db.knex('booking_decisions').where({ event_id: eventId }).orderBy('id')) as DecisionRow[];

  /** What a decision says, without what differs between two events deciding the same thing. */
  const meaning = (d: DecisionRow) => ({
    booking: d.booking_id,
    group: d.grouped_booking_id,
    outcome: d.outcome,
    reasons: d.reasons,
    revision: d.ruleset_revision,
    trigger: d.trigger,
    mode: d.mode,
    before: d.status_before,
    after: d.status_after,
    at: d.evaluated_at.toISOString(),
  });

  it('records, per event, the decisions and audit entries that deciding the events one by one records', async () => {
    const requests: number[] = [];
    const user = await lab.user();
    // Allowed: a plain two-hour request.
    const plain = await lab.device({ inventory: {} });
    requests.push((await lab.reservation([{ device: plain, user, start: at(30), end: at(32) }])).ids[0]!);
    // Denied: overlaps a confirmed booking of the same device (names it and the next free window).
    const busy = await lab.device({ inventory: {} });
    await lab.booking({
      device: busy,
      user: await lab.user(),
      start: at(40),
      end: at(44),
      status: 'confirmed',
    });
    requests.push((await lab.reservation([{ device: busy, user, start: at(42), end: at(43) }])).ids[0]!);
    // Needs approval: beyond what a user may self-approve (4 hours).
    const long = await lab.device({ inventory: {} });
    requests.push((await lab.reservation([{ device: long, user, start: at(50), end: at(57) }])).ids[0]!);
    // Denied: beyond every limit (96 hours).
    requests.push((await lab.reservation([{ device: long, user, start: at(100), end: at(196) }])).ids[0]!);
    // Denied: the device is not schedulable.
    await lab.deviceType('Patch panel', false);
    const unschedulable = await lab.device({ type: 'Patch panel', inventory: {} });
    requests.push(
      (await lab.reservation([{ device: unschedulable, user, start: at(60), end: at(61) }])).ids[0]!,
    );
    // A grouped booking: two devices and a collaborator row, decided as a whole; two of its rows
    // get an event each (the scheduler sends one per row), both in the batch.
    const a = await lab.device({ inventory: {} });
    const b = await lab.device({ inventory: {} });
    const grouped = await lab.reservation([
      { device: a, user, start: at(70), end: at(72) },
      { device: b, user, start: at(70), end: at(72) },
      { device: a, user: await lab.user(), start: at(70), end: at(72), collaborator: true },
    ]);
    requests.push(grouped.ids[0]!, grouped.ids[1]!);

    const batchIds = requests.map(() => randomUUID());
    const aloneIds = requests.map(() => randomUUID());
    const batch = await rules.deliverBatch(
      'booking.created',
      requests.map((bookingId, i) => ({ bookingId, eventId: batchIds[i] })),
    );
    const alone: ProcessResult[] = [];
    for (const [i, bookingId] of requests.entries()) {
      alone.push(await rules.deliver('booking.created', { bookingId, eventId: aloneIds[i] }));
    }

    const outcomes = new Set<string>();
    for (const [i, bookingId] of requests.entries()) {
      const batchResults = completed(batch[i]!);
      const aloneResults = completed(alone[i]!);
      assert.deepEqual(
        batchResults.rules,
        aloneResults.rules,
        `rules result of the event of booking ${bookingId}`,
      );
      const batchId = batchIds[i]!;
      const fromBatch = await decisionsOfEvent(batchId);
      const fromAlone = await decisionsOfEvent(aloneIds[i]!);
      assert.ok(fromBatch.length > 0, `booking ${bookingId} was decided in the batch`);
      assert.deepEqual(fromBatch.map(meaning), fromAlone.map(meaning), `decisions of booking ${bookingId}`);
      for (const d of fromBatch) {
        outcomes.add(d.outcome);
        const audit = await db
          .knex('admin_audit_log')
          .where({ action: 'booking.decision' })
          .whereRaw(`payload->>'decisionId' = ?`, [String(d.id)]);
        assert.equal(audit.length, 1, `one audit entry for decision ${d.id}`);
        assert.equal(audit[0].payload.eventId, batchId);
        assert.equal(audit[0].entity_id, String(d.booking_id));
      }
    }
    assert.deepEqual(
      [...outcomes].sort(),
      ['allow', 'deny', 'require_approval'],
      'the batch held every outcome',
    );
    const grouped0 = await decisionsOfEvent(batchIds[requests.indexOf(grouped.ids[0]!)]!);
    assert.deepEqual(
      grouped0.map((d) => d.booking_id).sort(),
      [grouped.ids[0]!, grouped.ids[1]!].sort(),
      'the grouped booking decided as a whole: one row per owner row, none for the collaborator',
    );
    const conflict = (await decisionsOfEvent(batchIds[1]!))[0]!;
    assert.equal(conflict.outcome, 'deny');
    assert.ok(conflict.reasons.some((r) => r.code === 'OVERLAP_CONFIRMED'));
  });

  it('in enforce mode, never confirms two overlapping requests of one batch, and decides every event', async () => {
    await lab.setting('rules.enforcement', 'enforce');
    const device = await lab.device({ inventory: {} });
    const other = await lab.device({ inventory: {} });
    const first = (await lab.reservation([{ device, user: await lab.user(), start: at(80), end: at(82) }]))
      .ids[0]!;
    const second = (await lab.reservation([{ device, user: await lab.user(), start: at(81), end: at(83) }]))
      .ids[0]!;
    const third = (
      await lab.reservation([{ device: other, user: await lab.user(), start: at(81), end: at(83) }])
    ).ids[0]!;
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const results = await rules.deliverBatch('booking.created', [
      { bookingId: first, eventId: ids[0] },
      { bookingId: second, eventId: ids[1] },
      { bookingId: third, eventId: ids[2] },
    ]);
    for (const r of results) assert.equal(completed(r).rules !== undefined, true);
    const statuses = await Promise.all([first, second, third].map((id) => statusOf(db.knex, id)));
    assert.deepEqual(statuses, ['confirmed', 'rejected', 'confirmed']);
    const denied = await decisionsOfEvent(ids[1]!);
    assert.equal(denied[0]!.outcome, 'deny');
    assert.equal(denied[0]!.mode, 'enforce');
    assert.equal(denied[0]!.status_after, 'rejected');
    assert.ok(denied[0]!.reasons.some((r) => r.code === 'OVERLAP_CONFIRMED'));
  });

  it('recomputes the rollups of every event of the batch, each bucket once', async () => {
    const device = await lab.device({ inventory: {} });
    const other = await lab.device({ inventory: {} });
    // Confirmed when created (an administrator's booking): it counts booked time at once.
    const one = await lab.booking({
      device,
      user: await lab.user(),
      start: at(-30),
      end: at(-28.5),
      status: 'confirmed',
    });
    const two = await lab.booking({
      device: other,
      user: await lab.user(),
      start: at(-30),
      end: at(-29),
      status: 'confirmed',
    });
    const results = await rules.deliverBatch('booking.created', [{ bookingId: one }, { bookingId: two }]);
    const rollups = results.map((r) => completed(r).rollups as { buckets: number; batchEvents: number });
    assert.deepEqual(
      rollups.map((r) => [r.buckets, r.batchEvents]),
      [
        [3, 2],
        [2, 2],
      ],
      'each event reports its own buckets (hours and day)',
    );
    const booked = await db
      .knex('utilization_rollups')
      .whereIn('device_id', [device, other])
      .andWhere({ granularity: 'day' })
      .select('device_id', 'booked_seconds');
    assert.deepEqual(Object.fromEntries(booked.map((r) => [r.device_id, Number(r.booked_seconds)])), {
      [device]: 5400,
      [other]: 3600,
    });
    // Nothing is left to recompute: the batch's one recompute covered every bucket.
    const again = await recomputeForWindows(db.knex, [
      { deviceId: device, start: at(-30), end: at(-28.5) },
      { deviceId: other, start: at(-30), end: at(-29) },
    ]);
    assert.equal(again.written, 0);
  });

  it('decides booking.updated and booking.reevaluate events in a batch as one by one, releases and skips included', async () => {
    const user = await lab.user();
    const device = await lab.device({ inventory: {} });
    const other = await lab.device({ inventory: {} });
    // A confirmed booking moved away from [110, 114): the pending request it blocked gets a re-evaluation.
    const moved = await lab.booking({ device, user, start: at(120), end: at(122), status: 'confirmed' });
    const blocked = (
      await lab.reservation([{ device, user: await lab.user(), start: at(111), end: at(113) }])
    ).group;
    const staying = (await lab.reservation([{ device: other, user, start: at(130), end: at(137) }])).ids[0]!;
    const plain = (await lab.reservation([{ device: other, user, start: at(140), end: at(141) }])).group;
    const started = (await lab.reservation([{ device: other, user, start: at(-2), end: at(3) }])).group;
    const updates = [
      {
        bookingId: moved,
        previous: { deviceId: device, startTime: at(110).toISOString(), endTime: at(114).toISOString() },
      },
      {
        bookingId: staying,
        previous: { deviceId: other, startTime: at(130).toISOString(), endTime: at(137).toISOString() },
      },
      {
        bookingId: 987_600,
        previous: { deviceId: other, startTime: at(1).toISOString(), endTime: at(2).toISOString() },
      },
    ];
    const reevaluations = [
      { groupedBookingId: blocked, cause: 'booking.updated' as const },
      { groupedBookingId: plain, cause: 'rules.changed' as const },
      { groupedBookingId: started, cause: 'rules.changed' as const },
    ];
    for (const [job, inputs] of [
      ['booking.updated', updates],
      ['booking.reevaluate', reevaluations],
    ] as const) {
      const batchIds = inputs.map(() => randomUUID());
      const aloneIds = inputs.map(() => randomUUID());
      const batch = await rules.deliverBatch(
        job,
        inputs.map((input, i) => ({ ...input, eventId: batchIds[i] })) as never,
      );
      const alone: ProcessResult[] = [];
      for (const [i, input] of inputs.entries()) {
        alone.push(await rules.deliver(job, { ...input, eventId: aloneIds[i] } as never));
      }
      for (const i of inputs.keys()) {
        assert.deepEqual(completed(batch[i]!).rules, completed(alone[i]!).rules, `${job} #${i}: results`);
        assert.deepEqual(
          batch[i]!.followUps.map((f) => [f.name, f.payload.groupedBookingId]),
          alone[i]!.followUps.map((f) => [f.name, f.payload.groupedBookingId]),
          `${job} #${i}: follow-ups`,
        );
        assert.deepEqual(
          (await decisionsOfEvent(batchIds[i]!)).map(meaning),
          (await decisionsOfEvent(aloneIds[i]!)).map(meaning),
          `${job} #${i}: decisions`,
        );
      }
      if (job === 'booking.updated') {
        assert.deepEqual(
          batch[0]!.followUps.map((f) => f.payload.groupedBookingId),
          [blocked],
          'the moved booking releases what its previous window blocked',
        );
        assert.equal(completed(batch[1]!).rules !== undefined, true);
        assert.deepEqual(completed(batch[2]!).rules, { bookingId: 987_600, skipped: 'booking_not_found' });
      } else {
        assert.deepEqual(completed(batch[2]!).rules, {
          groupedBookingId: started,
          skipped: 'started_or_not_live',
        });
        assert.equal((completed(batch[1]!).rules as { outcome: string }).outcome, 'allow');
      }
    }
  });

  it('recomputes the current and the previous windows of updated bookings in a batch', async () => {
    const device = await lab.device({ inventory: {} });
    const user = await lab.user();
    const a = await lab.booking({ device, user, start: at(-50), end: at(-49), status: 'confirmed' });
    const b = await lab.booking({ device, user, start: at(-40), end: at(-39), status: 'confirmed' });
    await rules.deliverBatch('booking.created', [{ bookingId: a }, { bookingId: b }]);
    // The scheduler moves both two hours later, then the events arrive together.
    await db
      .knex('booking_table')
      .whereIn('booking_id', [a, b])
      .update({
        start_time: db.knex.raw(`start_time + interval '2 hours'`),
        end_time: db.knex.raw(`end_time + interval '2 hours'`),
      });
    await rules.deliverBatch('booking.updated', [
      {
        bookingId: a,
        previous: { deviceId: device, startTime: at(-50).toISOString(), endTime: at(-49).toISOString() },
      },
      {
        bookingId: b,
        previous: { deviceId: device, startTime: at(-40).toISOString(), endTime: at(-39).toISOString() },
      },
    ]);
    const hours = await db
      .knex('utilization_rollups')
      .where({ device_id: device, granularity: 'hour' })
      .where('booked_seconds', '>', 0)
      .orderBy('bucket_start')
      .pluck('bucket_start');
    assert.deepEqual(
      hours.map((h: Date) => h.toISOString()),
      [at(-48), at(-38)].map((d) => d.toISOString()),
      'booked time left the old hours and counts in the new ones',
    );
    const again = await recomputeForWindows(
      db.knex,
      [-50, -48, -40, -38].map((h) => ({ deviceId: device, start: at(h), end: at(h + 1) })),
    );
    assert.equal(again.written, 0, 'nothing left to recompute');
  });
  it('in enforce mode, takes booking.updated and booking.reevaluate events of a batch one by one: statuses move, rollups follow', async () => {
    await lab.setting('rules.enforcement', 'enforce');
    const device = await lab.device({ inventory: {} });
    const user = await lab.user();
    const one = await lab.reservation([{ device, user, start: at(150), end: at(151) }]);
    const two = await lab.reservation([{ device, user: await lab.user(), start: at(150.5), end: at(152) }]);
    const results = await rules.deliverBatch('booking.reevaluate', [
      { groupedBookingId: one.group, cause: 'rules.changed' },
      { groupedBookingId: two.group, cause: 'rules.changed' },
    ]);
    assert.deepEqual(await Promise.all([one.ids[0]!, two.ids[0]!].map((id) => statusOf(db.knex, id))), [
      'confirmed',
      'rejected',
    ]);
    const first = completed(results[0]!).rules as { statusChanged: number; rollupBuckets: number };
    assert.equal(first.statusChanged, 1);
    assert.ok(first.rollupBuckets > 0, 'the confirmed row counts booked time at once');
    const booked = await db
      .knex('utilization_rollups')
      .where({ device_id: device, granularity: 'hour', bucket_start: at(150) })
      .first('booked_seconds');
    assert.equal(Number(booked.booked_seconds), 3600);
    const updated = await rules.deliverBatch('booking.updated', [
      {
        bookingId: two.ids[0]!,
        previous: { deviceId: device, startTime: at(150.5).toISOString(), endTime: at(152).toISOString() },
      },
    ]);
    assert.equal((completed(updated[0]!).rules as { mode: string }).mode, 'enforce');
  });
});
