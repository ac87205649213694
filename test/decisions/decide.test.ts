// Deciding reservations end to end through the rules' handlers (processEvent, real Postgres,
// the shipped rules): outcomes, explanations, grouped bookings, advisory and enforce modes, the
// scheduler winning a concurrent change, and a confirmation that meets a booking confirmed
// meanwhile becoming a deny.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classifyError } from '../../src/errors';
import type { HandlerModule } from '../../src/queues/handlers';
import { HandlerError } from '../../src/queues/process-event';
import { at, BookingLab, NOW } from '../rules/booking-lab';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { waitUntil } from '../support/runtime';
import { counter, decisionsOf, type RulesHarness, rulesHarness, statusOf } from './support';

/** A handler after the rules that fails the event for booking ids in `failFor`. */
function failingModule(failFor: Set<number>): HandlerModule {
  return {
    name: 'after-rules',
    register(registry) {
      registry.register('booking.created', 'after-rules', async ({ payload }) => {
        if (failFor.has(payload.bookingId)) throw new Error('a later handler failed');
      });
    },
  };
}

/** A rule set whose only rule never fires: every decision is allow. */
const MINIMAL_POLICY = {
  policy: 'minimal',
  appliesTo: 'booking',
  description: 'Nothing is checked.',
  rules: [
    {
      name: 'never',
      description: 'Never fires.',
      conditions: { all: [{ fact: 'booking', path: 'durationHours', operator: 'lessThan', value: -1000 }] },
      event: { type: 'flag', params: { code: 'NEVER', message: 'Never.' } },
    },
  ],
};

describe('decisions: deciding reservations through the booking handlers', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let lab: BookingLab;
  let rules: RulesHarness;
  const failFor = new Set<number>();

  before(async () => {
    db = await migratedDatabase();
    lab = new BookingLab(db.knex);
    rules = await rulesHarness(db.knex, () => NOW, { extraModules: [failingModule(failFor)] });
    // A user may self-approve 4 hours on one device; an Operator 24 hours on four.
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

  async function pending(hours = 2, start = at(20)) {
    const user = await lab.user();
    const device = await lab.device({ inventory: {} });
    const { group, ids } = await lab.reservation([
      { device, user, start, end: new Date(start.getTime() + hours * 3_600_000) },
    ]);
    return { user, device, group, bookingId: ids[0]! };
  }

  it('allows a plain booking and records the decision: revision, event, trigger, mode, statuses, audit entry', async () => {
    const { group, bookingId } = await pending();
    const result = await rules.deliver('booking.created', { bookingId });
    assert.equal(result.outcome, 'completed');
    const [decision, ...more] = await decisionsOf(db.knex, group);
    assert.equal(more.length, 0);
    assert.ok(decision);
    assert.equal(decision.booking_id, bookingId);
    assert.equal(decision.outcome, 'allow');
    assert.deepEqual(decision.reasons, []);
    assert.equal(decision.ruleset_revision, rules.store.revision);
    assert.equal(decision.trigger, 'booking.created');
    assert.equal(decision.mode, 'advisory');
    assert.equal(decision.status_before, 'pending');
    assert.equal(decision.status_after, 'pending');
    assert.equal(decision.evaluated_at.toISOString(), NOW.toISOString());
    assert.equal(await statusOf(db.knex, bookingId), 'pending', 'advisory mode leaves the booking alone');
    assert.deepEqual(result.outcome === 'completed' && result.results.rules, {
      groupedBookingId: group,
      outcome: 'allow',
      revision: rules.store.revision,
      mode: 'advisory',
      decisions: 1,
      statusChanged: 0,
    });

    const audit = await db
      .knex('admin_audit_log')
      .where({ entity_type: 'booking', entity_id: String(bookingId) })
      .first();
    assert.equal(audit.actor_role, 'system:rules');
    assert.equal(audit.actor_id, null);
    assert.equal(audit.action, 'booking.decision');
    assert.equal(audit.outcome, 'success');
    assert.equal(audit.payload.decisionId, decision.id);
    assert.equal(audit.payload.outcome, 'allow');
    assert.equal(audit.payload.eventId, decision.event_id);
    assert.match(
      audit.message,
      new RegExp(`booking ${bookingId} .*: allow; rules revision ${rules.store.revision}, advisory mode`),
    );
  });

  it('requires approval beyond what the role may self-approve, naming the approver', async () => {
    const { group, bookingId } = await pending(6);
    await rules.deliver('booking.created', { bookingId });
    const [decision] = await decisionsOf(db.knex, group);
    assert.equal(decision?.outcome, 'require_approval');
    assert.deepEqual(
      decision.reasons.map((r) => [r.policy, r.code, r.approver]),
      [['approval-thresholds', 'APPROVAL_THRESHOLD', 'Operator']],
    );
  });

  it('denies an overlap with a confirmed booking, explaining it with policy, rule, code, message and fact values', async () => {
    const { device, group, bookingId } = await pending(4, at(20));
    const blocker = await lab.booking({
      device,
      user: await lab.user(),
      start: at(18),
      end: at(22),
      status: 'confirmed',
    });
    await rules.deliver('booking.created', { bookingId });
    const [decision] = await decisionsOf(db.knex, group);
    assert.equal(decision?.outcome, 'deny');
    const reason = decision.reasons.find((r) => r.code === 'OVERLAP_CONFIRMED');
    assert.ok(reason, JSON.stringify(decision.reasons));
    assert.equal(reason.policy, 'conflicts');
    assert.equal(reason.rule, 'overlaps-confirmed-booking');
    assert.equal(reason.type, 'deny');
    // The blocking booking and the next free window of the same length (4 h from its end).
    assert.match(reason.message, new RegExp(`confirmed booking\\(s\\) ${blocker}\\.`));
    assert.match(
      reason.message,
      new RegExp(
        `Next free window of the same length: ${at(22).toISOString().replace('.000', '')} to ${at(26).toISOString().replace('.000', '')}`,
      ),
    );
    assert.deepEqual(reason.values['conflicts.bookingIds'], [blocker]);
    const condition = reason.conditions.find((c) => c.fact === 'conflicts' && c.path === 'count');
    assert.deepEqual(
      [condition?.operator, condition?.factValue, condition?.comparedValue],
      ['greaterThan', 1, 0],
    );
    assert.deepEqual(reason.deviceIds, [device]);
  });

  it('decides a grouped booking as a whole: one decision per owner row, shared outcome and reasons', async () => {
    const user = await lab.user();
    const colleague = await lab.user();
    const free = await lab.device({ inventory: {} });
    const busy = await lab.device({ inventory: {} });
    await lab.booking({
      device: busy,
      user: await lab.user(),
      start: at(19),
      end: at(21),
      status: 'confirmed',
    });
    const { group, ids } = await lab.reservation([
      { device: free, user, start: at(20), end: at(22) },
      { device: busy, user, start: at(20), end: at(22) },
      { device: free, user: colleague, start: at(20), end: at(22), collaborator: true },
      { device: busy, user: colleague, start: at(20), end: at(22), collaborator: true },
    ]);
    await lab.setting('rules.enforcement', 'enforce');
    // The event of the collaborator row decides the same reservation.
    await rules.deliver('booking.created', { bookingId: ids[3]! });
    const decisions = await decisionsOf(db.knex, group);
    assert.deepEqual(
      decisions.map((d) => d.booking_id),
      [ids[0], ids[1]],
      'one decision per owner row, none for collaborator rows',
    );
    assert.ok(
      decisions.every((d) => d.outcome === 'deny'),
      'the free device is denied with the busy one',
    );
    assert.deepEqual(decisions[0]!.reasons, decisions[1]!.reasons);
    assert.deepEqual(decisions[0]!.reasons.find((r) => r.code === 'OVERLAP_CONFIRMED')?.deviceIds, [busy]);
    for (const id of ids)
      assert.equal(await statusOf(db.knex, id), 'rejected', `row ${id}, collaborator rows too`);
  });

  describe('enforce mode', () => {
    beforeEach(async () => {
      await lab.setting('rules.enforcement', 'enforce');
    });

    it('moves pending rows to confirmed, pending_approval or rejected, collaborator rows too', async () => {
      const cases = [
        { hours: 2, expected: 'confirmed', outcome: 'allow' },
        { hours: 6, expected: 'pending_approval', outcome: 'require_approval' },
        { hours: 30, expected: 'rejected', outcome: 'deny' },
      ];
      for (const c of cases) {
        const user = await lab.user();
        const device = await lab.device({ inventory: {} });
        const end = new Date(at(20).getTime() + c.hours * 3_600_000);
        const { group, ids } = await lab.reservation([
          { device, user, start: at(20), end },
          { device, user: await lab.user(), start: at(20), end, collaborator: true },
        ]);
        const result = await rules.deliver('booking.created', { bookingId: ids[0]! });
        assert.equal(result.outcome === 'completed' && result.results.rules?.statusChanged, 2);
        for (const id of ids) assert.equal(await statusOf(db.knex, id), c.expected, `${c.hours} h`);
        const [decision] = await decisionsOf(db.knex, group);
        assert.deepEqual(
          [decision?.outcome, decision?.mode, decision?.status_before, decision?.status_after],
          [c.outcome, 'enforce', 'pending', c.expected],
        );
      }
    });

    it('moves only pending rows: a booking the scheduler already confirmed or sent for approval keeps its status', async () => {
      const user = await lab.user();
      const device = await lab.device({ inventory: {} });
      const bookingId = await lab.booking({
        device,
        user,
        start: at(30),
        end: at(32),
        status: 'pending_approval',
      });
      await rules.deliver('booking.updated', {
        bookingId,
        previous: { deviceId: device, startTime: at(30).toISOString(), endTime: at(32).toISOString() },
      });
      assert.equal(await statusOf(db.knex, bookingId), 'pending_approval');
      const [decision] = await decisionsOf(
        db.knex,
        (await db.knex('booking_table').where({ booking_id: bookingId }).first()).grouped_booking_id,
      );
      assert.deepEqual(
        [decision?.outcome, decision?.status_before, decision?.status_after],
        ['allow', 'pending_approval', 'pending_approval'],
      );
    });

    it('lets a concurrent change by the scheduler win: the conditional update finds the row no longer pending', async () => {
      const { group, bookingId } = await pending(2, at(40));
      // The scheduler cancels the booking in a transaction that is still open while the worker decides.
      const scheduler = await db.knex.transaction();
      try {
        await scheduler('booking_table').where({ booking_id: bookingId }).update({ status: 'cancelled' });
        const deciding = rules.deliver('booking.created', { bookingId });
        await waitUntil('the decision to wait for the scheduler row lock', async () => {
          const { rows } = await db.knex.raw(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return rows.length > 0;
        });
        await scheduler.commit();
        const result = await deciding;
        assert.equal(result.outcome, 'completed');
      } finally {
        if (!scheduler.isCompleted()) await scheduler.rollback();
      }
      assert.equal(await statusOf(db.knex, bookingId), 'cancelled', 'the scheduler wins');
      const [decision] = await decisionsOf(db.knex, group);
      assert.deepEqual(
        [decision?.outcome, decision?.status_before, decision?.status_after],
        ['allow', 'pending', 'cancelled'],
      );
    });

    it('turns a confirmation that meets a booking confirmed meanwhile into a deny naming it, without failing the job', async () => {
      const { device, group, bookingId } = await pending(4, at(50));
      const rival = await lab.booking({
        device,
        user: await lab.user(),
        start: at(52),
        end: at(56),
        status: 'pending',
      });
      // Another worker confirms the rival; it has not committed when this decision reads its facts.
      const other = await db.knex.transaction();
      try {
        await other('booking_table').where({ booking_id: rival }).update({ status: 'confirmed' });
        const deciding = rules.deliver('booking.created', { bookingId });
        await waitUntil('the confirmation to wait for the rival transaction', async () => {
          const { rows } = await db.knex.raw(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return rows.length > 0;
        });
        await other.commit();
        const result = await deciding;
        assert.equal(result.outcome, 'completed');
        assert.equal(result.outcome === 'completed' && result.results.rules?.conflict, true);
      } finally {
        if (!other.isCompleted()) await other.rollback();
      }
      assert.equal(await statusOf(db.knex, rival), 'confirmed');
      assert.equal(await statusOf(db.knex, bookingId), 'rejected');
      const [decision] = await decisionsOf(db.knex, group);
      assert.equal(decision?.outcome, 'deny');
      assert.equal(decision.status_after, 'rejected');
      const reason = decision.reasons.find((r) => r.code === 'OVERLAP_CONFIRMED');
      assert.ok(reason, JSON.stringify(decision.reasons));
      assert.match(reason.message, new RegExp(`confirmed booking\\(s\\) ${rival}\\.`));
      assert.match(reason.message, /Next free window of the same length: \S+ to \S+\./);
    });

    it('names the blocking booking itself when the rules in use have no overlap rule', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'provdb-rules-minimal-'));
      await writeFile(path.join(dir, 'minimal.json'), JSON.stringify(MINIMAL_POLICY));
      const minimal = await rulesHarness(db.knex, () => NOW, { dir });
      try {
        const { device, group, bookingId } = await pending(4, at(60));
        const rival = await lab.booking({
          device,
          user: await lab.user(),
          start: at(62),
          end: at(66),
          status: 'pending',
        });
        const other = await db.knex.transaction();
        try {
          await other('booking_table').where({ booking_id: rival }).update({ status: 'confirmed' });
          const deciding = minimal.deliver('booking.created', { bookingId });
          await waitUntil('the confirmation to wait for the rival transaction', async () => {
            const { rows } = await db.knex.raw(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            return rows.length > 0;
          });
          await other.commit();
          assert.equal((await deciding).outcome, 'completed');
        } finally {
          if (!other.isCompleted()) await other.rollback();
        }
        const [decision] = await decisionsOf(db.knex, group);
        assert.equal(decision?.outcome, 'deny');
        assert.deepEqual(
          decision.reasons.map((r) => [r.policy, r.rule, r.code]),
          [['enforcement', 'confirm-overlap', 'OVERLAP_CONFIRMED']],
        );
        const reason = decision.reasons[0]!;
        assert.deepEqual(reason.values.blockingBookingIds, [rival]);
        assert.match(
          reason.message,
          new RegExp(
            `confirmed booking\\(s\\) ${rival}\\. Next free window of the same length: \\S+ to \\S+\\.`,
          ),
        );
        assert.equal(await statusOf(db.knex, bookingId), 'rejected');
      } finally {
        await minimal.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  it('reads an invalid enforcement setting as advisory and logs a warning naming the value', async () => {
    await lab.setting('rules.enforcement', 'Enforce!');
    const { bookingId, group } = await pending();
    await rules.deliver('booking.created', { bookingId });
    assert.equal(await statusOf(db.knex, bookingId), 'pending');
    assert.equal((await decisionsOf(db.knex, group))[0]?.mode, 'advisory');
    const warning = rules.logs.lines.find(
      (l) => l.msg.includes('rules.enforcement') && l.msg.includes('"Enforce!"'),
    );
    assert.ok(warning, 'a warning names the setting and its value');
    assert.match(warning.msg, /advisory/);
    assert.equal(
      rules.logs.lines.filter((l) => l.msg.includes('"Enforce!"')).length,
      1,
      'one warning per decision, not one from the fact loader too',
    );
  });

  it('retries a created booking that is not visible yet (not_found) and records nothing', async () => {
    await assert.rejects(rules.deliver('booking.created', { bookingId: 9_999_999 }), (error: unknown) => {
      assert.ok(error instanceof HandlerError);
      assert.equal(classifyError(error.cause), 'not_found');
      return true;
    });
    const result = await rules.deliver('booking.updated', {
      bookingId: 9_999_999,
      previous: { deviceId: 1, startTime: at(1).toISOString(), endTime: at(2).toISOString() },
    });
    assert.deepEqual(result.outcome === 'completed' && result.results.rules, {
      bookingId: 9_999_999,
      skipped: 'booking_not_found',
    });
  });

  it('counts decisions and rule results once the event has committed, not for an event that rolled back', async () => {
    const outcome = { outcome: 'allow' };
    const before = await counter(rules.registry, 'provdb_booking_decisions_total', outcome);
    const fired = { policy: 'conflicts', rule: 'overlaps-confirmed-booking', result: 'not_fired' };
    const notFiredBefore = await counter(rules.registry, 'provdb_rule_results_total', fired);

    const failing = await pending();
    failFor.add(failing.bookingId);
    await assert.rejects(rules.deliver('booking.created', { bookingId: failing.bookingId }));
    assert.deepEqual(
      await decisionsOf(db.knex, failing.group),
      [],
      'the decision rolled back with the event',
    );

    const { bookingId } = await pending();
    await rules.deliver('booking.created', { bookingId });
    await waitUntil(
      'the committed decision to be counted',
      async () => (await counter(rules.registry, 'provdb_booking_decisions_total', outcome)) === before + 1,
    );
    assert.equal(await counter(rules.registry, 'provdb_booking_decisions_total', outcome), before + 1);
    assert.equal(await counter(rules.registry, 'provdb_rule_results_total', fired), notFiredBefore + 1);
  });
});
