import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluate, evaluateWithEngine } from '../../src/rules/evaluate';
import type { BookingFacts } from '../../src/rules/facts/catalog';
import { loadRuleSet } from '../../src/rules/load';
import { compileConditions, firingRules } from '../../src/rules/match';
import { loadRuleTests } from '../../src/rules/rule-tests';
import type { RuleSetSnapshot } from '../../src/rules/snapshot';
import { SHIPPED_RULES_DIR, snapshotOf } from '../support/rules';

describe('rules/match: which rules fire, without the engine', () => {
  let shipped: RuleSetSnapshot;

  before(async () => {
    const loaded = await loadRuleSet(SHIPPED_RULES_DIR);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    shipped = loaded.snapshot;
  });

  it('fires the rules json-rules-engine fires, on every shipped test case', async () => {
    const { cases, errors } = await loadRuleTests(SHIPPED_RULES_DIR);
    assert.deepEqual(errors, []);
    assert.ok(cases.length > 30, `${cases.length} cases`);
    let fired = 0;
    for (const c of cases) {
      const engine = await evaluateWithEngine(shipped, c.kind, c.facts as never);
      const ours = firingRules(shipped.rules[c.kind], c.facts);
      assert.deepEqual(
        ours.map((r) => r.id).sort(),
        engine.reasons.map((r) => `${r.policy}/${r.rule}`).sort(),
        `${c.file}: ${c.name}`,
      );
      fired += ours.length;
      // evaluate() runs the engine on these only: the same decision, reasons and explanations.
      assert.deepEqual(
        await evaluate(shipped, c.kind, c.facts as never),
        engine,
        `${c.file}: ${c.name} (evaluate)`,
      );
    }
    assert.ok(fired > 20);
  });

  it('agrees with the engine on all, any and not blocks, fact references and missing values', async () => {
    const rule = (name: string, conditions: unknown) => ({
      name,
      conditions,
      event: { type: 'flag', params: { code: `RULE_${name.toUpperCase()}`, message: name } },
    });
    const snapshot = snapshotOf({
      policy: 'p',
      appliesTo: 'booking',
      description: 'combinations',
      rules: [
        rule('a', {
          any: [
            {
              fact: 'usage',
              path: 'bookedHours',
              operator: 'greaterThan',
              value: { fact: 'limits', path: 'maxBookedHours' },
            },
            { not: { fact: 'device', path: 'tags', operator: 'contains', value: 'shared' } },
          ],
        }),
        rule('b', {
          all: [
            { fact: 'device', path: 'tags', operator: 'containsAny', value: ['fragile', 'x'] },
            { not: { any: [{ fact: 'requester', path: 'role', operator: 'in', value: ['Admin'] }] } },
          ],
        }),
        rule('c', {
          all: [{ fact: 'requester', path: 'approvalLimits.maxHours', operator: 'lessThan', value: 5 }],
        }),
      ],
    });
    const { cases } = await loadRuleTests(SHIPPED_RULES_DIR);
    const base = cases.find((c) => c.kind === 'booking')!.facts as unknown as BookingFacts;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          hours: fc.integer({ min: 0, max: 60 }),
          limit: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
          tags: fc.subarray(['shared', 'fragile', 'x', 'y']),
          role: fc.constantFrom('Admin', 'user', 'Operator'),
          maxHours: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
          limitsNull: fc.boolean(),
        }),
        async (v) => {
          const facts = structuredClone(base);
          facts.usage.bookedHours = v.hours;
          facts.limits.maxBookedHours = v.limit;
          facts.device.tags = v.tags;
          facts.requester.role = v.role;
          facts.requester.approvalLimits = v.limitsNull ? null : { maxHours: v.maxHours, maxDevices: 1 };
          const engine = await evaluateWithEngine(snapshot, 'booking', facts);
          assert.deepEqual(
            await evaluate(snapshot, 'booking', facts),
            engine,
            'evaluate() decides and explains as the engine',
          );
          assert.deepEqual(
            firingRules(snapshot.rules.booking, facts as unknown as Record<string, unknown>).map(
              (r) => r.rule.name,
            ),
            engine.reasons.map((r) => r.rule).sort(),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses an operator it does not know', () => {
    assert.throws(
      () => compileConditions({ fact: 'booking', path: 'durationHours', operator: 'near', value: 1 }),
      /unknown operator "near"/,
    );
  });
});
