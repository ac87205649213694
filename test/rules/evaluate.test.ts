import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildEngine,
  combineOutcome,
  type Decision,
  evaluate,
  RuleEvaluationError,
} from '../../src/rules/evaluate';
import type { BookingFacts } from '../../src/rules/facts/catalog';
import { evaluateGroup } from '../../src/rules/group';
import { loadRuleSet } from '../../src/rules/load';
import { interpolate } from '../../src/rules/template';
import { cleanBooking, SHIPPED_RULES_DIR, snapshotOf } from '../support/rules';

const leaf = (fact: string, path: string, operator: string, value: unknown) => ({
  fact,
  path,
  operator,
  value,
});
const rule = (name: string, type: string, conditions: unknown, extra: Record<string, unknown> = {}) => ({
  name,
  conditions,
  event: {
    type,
    params: {
      code: name.toUpperCase().replace(/-/g, '_'),
      message: `${name}: {{usage.activeFutureBookings}}`,
      ...(type === 'require_approval' ? { approver: '{{approval.approverRole}}' } : {}),
    },
  },
  ...extra,
});

/** One rule of each type, each firing when usage.activeFutureBookings passes a threshold. */
const ladder = snapshotOf({
  policy: 'ladder',
  appliesTo: 'booking',
  description: 'thresholds',
  rules: [
    rule('flag-at-2', 'flag', { all: [leaf('usage', 'activeFutureBookings', 'greaterThanInclusive', 2)] }),
    rule('approve-at-4', 'require_approval', {
      all: [leaf('usage', 'activeFutureBookings', 'greaterThanInclusive', 4)],
    }),
    rule('deny-at-6', 'deny', { all: [leaf('usage', 'activeFutureBookings', 'greaterThanInclusive', 6)] }),
  ],
});

const withBookings = (n: number) => cleanBooking({ usage: { activeFutureBookings: n } });
const codes = (d: Decision) => d.reasons.map((r) => r.code);

describe('rules/evaluate', () => {
  describe('combining', () => {
    it('allows when nothing fires, and when only flags fire', async () => {
      assert.deepEqual(
        await evaluate(ladder, 'booking', withBookings(1)).then((d) => [d.outcome, codes(d)]),
        ['allow', []],
      );
      assert.deepEqual(
        await evaluate(ladder, 'booking', withBookings(2)).then((d) => [d.outcome, codes(d)]),
        ['allow', ['FLAG_AT_2']],
      );
    });

    it('needs approval when a require_approval rule fires and no deny does', async () => {
      const d = await evaluate(ladder, 'booking', withBookings(4));
      assert.equal(d.outcome, 'require_approval');
      assert.deepEqual(codes(d), ['APPROVE_AT_4', 'FLAG_AT_2']);
      assert.equal(d.reasons[0]!.approver, 'user', 'approver placeholders are filled in');
    });

    it('denies when any deny fires, reporting every fired rule, most severe first', async () => {
      const d = await evaluate(ladder, 'booking', withBookings(7));
      assert.equal(d.outcome, 'deny');
      assert.deepEqual(codes(d), ['DENY_AT_6', 'APPROVE_AT_4', 'FLAG_AT_2']);
      assert.deepEqual(d.notFired, []);
      assert.equal(d.revision, ladder.revision);
    });

    it('combines outcomes of several decisions the same way', () => {
      assert.equal(combineOutcome([]), 'allow');
      assert.equal(combineOutcome(['flag', 'allow']), 'allow');
      assert.equal(combineOutcome(['flag', 'require_approval', 'allow']), 'require_approval');
      assert.equal(combineOutcome(['require_approval', 'deny', 'flag']), 'deny');
    });
  });

  describe('explanations', () => {
    const limits = snapshotOf({
      policy: 'limits',
      appliesTo: 'booking',
      description: 'limits',
      rules: [
        rule('over-limit', 'deny', {
          all: [
            leaf('usage', 'activeFutureBookings', 'greaterThan', {
              fact: 'limits',
              path: 'maxActiveBookings',
            }),
            { not: leaf('requester', 'role', 'in', ['Admin']) },
          ],
        }),
        rule('busy', 'flag', {
          any: [
            leaf('utilization', 'ratio7d', 'greaterThan', 0.9),
            leaf('device', 'tags', 'contains', 'hot'),
          ],
        }),
      ],
    });

    it('reports, for each condition, the fact value and the value it was compared with', async () => {
      const d = await evaluate(limits, 'booking', cleanBooking({ usage: { activeFutureBookings: 6 } }));
      const [reason] = d.reasons;
      assert.equal(reason!.message, 'over-limit: 6');
      assert.deepEqual(reason!.values, { 'usage.activeFutureBookings': 6 });
      assert.deepEqual(
        reason!.conditions.map(({ at, fact, path, operator, value, factValue, comparedValue, result }) => ({
          at,
          fact,
          path,
          operator,
          value,
          factValue,
          comparedValue,
          result,
        })),
        [
          {
            at: 'all[0]',
            fact: 'usage',
            path: 'activeFutureBookings',
            operator: 'greaterThan',
            value: { fact: 'limits', path: 'maxActiveBookings' },
            factValue: 6,
            comparedValue: 5,
            result: true,
          },
          {
            at: 'all[1].not',
            fact: 'requester',
            path: 'role',
            operator: 'in',
            value: ['Admin'],
            factValue: 'user',
            comparedValue: ['Admin'],
            result: false,
          },
        ],
      );
    });

    it('explains rules that did not fire when asked, with null for values a path does not find', async () => {
      const d = await evaluate(limits, 'booking', cleanBooking({ utilization: { ratio7d: null } }), {
        explain: 'all',
      });
      assert.deepEqual(codes(d), []);
      const busy = d.notFired.find((t) => t.rule === 'busy');
      assert.deepEqual(
        busy?.conditions?.map((c) => [c.factValue, c.comparedValue, c.result]),
        [
          [null, 0.9, false],
          [['shared'], 'hot', false],
        ],
      );
      const quiet = await evaluate(limits, 'booking', cleanBooking());
      assert.equal(quiet.notFired[0]!.conditions, undefined, 'by default only fired rules carry conditions');
    });

    it('never fires a limit that is not set (null), whatever the usage', async () => {
      const d = await evaluate(
        limits,
        'booking',
        cleanBooking({ usage: { activeFutureBookings: 1000 }, limits: { maxActiveBookings: null } }),
      );
      assert.deepEqual(codes(d), []);
    });

    it('fills messages safely: lists, nulls, numbers, and nothing beyond facts', () => {
      const facts = {
        conflicts: { bookingIds: [4650, 4651], nextFreeStartsAt: null },
        utilization: { ratio7d: 0.123456 },
        booking: { id: 1 },
      };
      assert.equal(
        interpolate(
          '{{conflicts.bookingIds}} / {{conflicts.nextFreeStartsAt}} / {{ utilization.ratio7d }}',
          facts,
        ),
        '4650, 4651 / none / 0.12',
      );
      assert.equal(
        interpolate('{{booking.__proto__}} {{booking.constructor}} {{nope.x}}', facts),
        '(unknown) (unknown) (unknown)',
      );
      assert.equal(
        interpolate('{{booking.id + 1}}', facts),
        '{{booking.id + 1}}',
        'expressions are left as written',
      );
      assert.ok(
        interpolate(`{{conflicts.bookingIds}}`, { conflicts: { bookingIds: Array(1000).fill(12345) } })
          .length <= 1000,
      );
    });
  });

  describe('concurrency', () => {
    /** Rules at three priorities: json-rules-engine evaluates priority sets one after another. */
    const tiers = snapshotOf({
      policy: 'tiers',
      appliesTo: 'booking',
      description: 'priorities',
      rules: [
        rule(
          'high',
          'flag',
          { all: [leaf('usage', 'activeFutureBookings', 'greaterThan', 0)] },
          { priority: 10 },
        ),
        rule(
          'middle',
          'require_approval',
          { all: [leaf('usage', 'bookedHours', 'greaterThan', 5)] },
          { priority: 5 },
        ),
        rule('low', 'deny', { all: [leaf('usage', 'devicesAtOnce', 'greaterThan', 1)] }, { priority: 1 }),
      ],
    });
    const factsArb = fc.record({
      activeFutureBookings: fc.integer({ min: 0, max: 3 }),
      bookedHours: fc.integer({ min: 0, max: 10 }),
      devicesAtOnce: fc.integer({ min: 0, max: 3 }),
    });

    async function startLagged(
      runs: Array<{ facts: BookingFacts; lag: number }>,
      run: (f: BookingFacts) => Promise<unknown>,
    ) {
      const pending: Array<Promise<unknown>> = [];
      for (const { facts, lag } of runs) {
        pending.push(run(facts));
        for (let i = 0; i < lag; i += 1) await Promise.resolve();
      }
      return Promise.all(pending);
    }

    it('gives concurrent evaluations on one snapshot the same results as sequential ones', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ usage: factsArb, lag: fc.nat(40) }), { minLength: 2, maxLength: 30 }),
          async (items) => {
            const runs = items.map(({ usage, lag }) => ({ facts: cleanBooking({ usage }), lag }));
            const sequential: Decision[] = [];
            for (const { facts } of runs) sequential.push(await evaluate(tiers, 'booking', facts));
            const concurrent = await startLagged(runs, (f) => evaluate(tiers, 'booking', f));
            assert.deepEqual(concurrent, sequential);
          },
        ),
        { numRuns: 50 },
      );
    });

    it("(why) one Engine shared by staggered runs skips the later run's low-priority rules", async () => {
      const shared = buildEngine(tiers, 'booking');
      const facts = cleanBooking({ usage: { activeFutureBookings: 1, bookedHours: 6, devicesAtOnce: 2 } });
      const results = (await startLagged(
        Array.from({ length: 8 }, (_, i) => ({ facts, lag: i * 5 })),
        (f) => shared.run(f as unknown as Record<string, unknown>),
      )) as Array<{ results: unknown[] }>;
      assert.ok(
        results.some((r) => r.results.length < 3),
        'if json-rules-engine no longer loses rules here, the per-evaluation Engine could be revisited',
      );
    });

    it('gives the shipped rules the same decisions concurrently as sequentially', async () => {
      const loaded = await loadRuleSet(SHIPPED_RULES_DIR);
      assert.ok(loaded.ok);
      const variants = [
        cleanBooking(),
        cleanBooking({ conflicts: { count: 1, bookingIds: [9] } }),
        cleanBooking({ ownership: { ownedByAnother: true, ownerNames: ['x'], ownerIds: [3] } }),
        cleanBooking({ approval: { withinRequesterLimits: false, approverRole: 'Operator' } }),
        cleanBooking({ utilization: { nextWeekRatio: 0.9, requesterNextWeekShare: 0.9 } }),
      ];
      const runs = Array.from({ length: 100 }, (_, i) => ({
        facts: variants[i % variants.length]!,
        lag: i % 7,
      }));
      const sequential: Decision[] = [];
      for (const { facts } of runs) sequential.push(await evaluate(loaded.snapshot, 'booking', facts));
      assert.deepEqual(await startLagged(runs, (f) => evaluate(loaded.snapshot, 'booking', f)), sequential);
      assert.deepEqual(
        new Set(sequential.map((d) => d.outcome)),
        new Set(['allow', 'deny', 'require_approval']),
      );
    });
  });

  describe('errors', () => {
    it('names a missing fact instead of guessing it', async () => {
      const facts = cleanBooking() as Partial<BookingFacts>;
      delete facts.usage;
      await assert.rejects(evaluate(ladder, 'booking', facts as BookingFacts), (error: unknown) => {
        assert.ok(error instanceof RuleEvaluationError);
        assert.match(error.message, /revision \w+ failed: Undefined fact: usage/);
        return true;
      });
    });
  });

  describe('grouped bookings', () => {
    it('decides a reservation as a whole, merging reasons shared by its devices', async () => {
      const device = (deviceId: number, usage: number, conflicts = 0) =>
        cleanBooking({
          booking: { id: 5000 + deviceId, deviceId },
          device: { id: deviceId, name: `dev-${deviceId}` },
          usage: { activeFutureBookings: usage },
          conflicts: { count: conflicts, bookingIds: conflicts ? [77] : [] },
        });
      const snapshot = (await loadRuleSet(SHIPPED_RULES_DIR)) as { ok: true; snapshot: typeof ladder };
      const group = await evaluateGroup(snapshot.snapshot, [device(12, 9), device(15, 9, 1)]);
      assert.equal(group.outcome, 'deny');
      assert.deepEqual(
        group.devices.map((d) => [d.deviceId, d.bookingId, d.decision.outcome]),
        [
          [12, 5012, 'deny'],
          [15, 5015, 'deny'],
        ],
      );
      const byCode = new Map(group.reasons.map((r) => [r.code, r.deviceIds]));
      assert.deepEqual(byCode.get('LIMIT_ACTIVE_BOOKINGS'), [12, 15], 'one reason for both devices');
      assert.deepEqual(byCode.get('OVERLAP_CONFIRMED'), [15]);
      const clean = await evaluateGroup(snapshot.snapshot, [device(12, 1), device(15, 1)]);
      assert.equal(clean.outcome, 'allow');
      await assert.rejects(
        evaluateGroup(snapshot.snapshot, [device(12, 1), cleanBooking({ groupedBooking: { id: 'other' } })]),
        /mixed into/,
      );
    });
  });
});
