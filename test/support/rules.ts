/** Helpers for rule tests: in-memory rule sets and the shipped clean booking facts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BookingFacts } from '../../src/rules/facts/catalog';
import { buildRuleSet } from '../../src/rules/load';
import { mergeFacts } from '../../src/rules/rule-tests';
import type { RuleSetSnapshot } from '../../src/rules/snapshot';

export const SHIPPED_RULES_DIR = path.resolve(__dirname, '../../rules');

/** Builds a snapshot from policy objects (file names policy-0.json, ...); throws if invalid. */
export function snapshotOf(...policies: unknown[]): RuleSetSnapshot {
  const loaded = buildRuleSet(
    policies.map((p, i) => ({ name: `policy-${i}.json`, content: JSON.stringify(p) })),
  );
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => JSON.stringify(e)).join('\n'));
  return loaded.snapshot;
}

/** The facts of an unremarkable booking that every shipped rule allows. */
export function cleanBooking(overrides: Record<string, unknown> = {}): BookingFacts {
  const base = JSON.parse(
    readFileSync(path.join(SHIPPED_RULES_DIR, 'tests/facts/clean-booking.json'), 'utf8'),
  );
  return mergeFacts(base, overrides) as BookingFacts;
}
