/**
 * A rule-set snapshot: the validated policies of one version of the rules folder, deeply
 * frozen, with everything an evaluation needs prepared once. A snapshot is never changed: a new
 * version of the files makes a new snapshot, swapped in whole (./store.ts), so an evaluation
 * that started on the old one finishes on it.
 *
 * The revision is a hash of the policy files' names and contents (sorted by name, test cases
 * excluded): the same files give the same revision on every host and every restart.
 */
import { createHash } from 'node:crypto';
import type { RuleProperties } from 'json-rules-engine';
import type { ConditionNode, LeafCondition } from './conditions';
import type { PolicyKind } from './facts/catalog';
import type { Policy, PolicyRule } from './policy';

export interface LeafRef {
  /** Where the condition is inside `conditions`, e.g. `all[1].any[0]`. */
  readonly at: string;
  readonly condition: LeafCondition;
}

export interface PreparedRule {
  /** Unique in a snapshot: `<policy>/<rule>`. */
  readonly id: string;
  readonly policy: string;
  readonly file: string;
  readonly rule: PolicyRule;
  /** The json-rules-engine definition; frozen, so engines built from it cannot alter it. */
  readonly definition: RuleProperties;
}

export interface RuleSetSnapshot {
  readonly revision: string;
  /** The folder it was loaded from ('' when built in memory). */
  readonly dir: string;
  readonly loadedAt: Date;
  readonly policies: readonly Policy[];
  readonly rules: Readonly<Record<PolicyKind, readonly PreparedRule[]>>;
  readonly byId: ReadonlyMap<string, PreparedRule>;
}

export interface SourceFile {
  /** Name relative to the rules folder. */
  readonly name: string;
  readonly content: string;
}

/** Stable hash of the policy files: 12 hex digits of SHA-256 over names and contents. */
export function revisionOf(files: readonly SourceFile[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(f.name).update('\0').update(f.content).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function createSnapshot(policies: readonly Policy[], revision: string, dir: string): RuleSetSnapshot {
  const frozen = deepFreeze(structuredClone([...policies]));
  const rules: Record<PolicyKind, PreparedRule[]> = { booking: [], topology: [] };
  const byId = new Map<string, PreparedRule>();
  for (const policy of frozen) {
    for (const rule of policy.rules) {
      const id = `${policy.policy}/${rule.name}`;
      const prepared: PreparedRule = deepFreeze({
        id,
        policy: policy.policy,
        file: policy.file,
        rule,
        definition: {
          name: id,
          priority: rule.priority,
          conditions: rule.conditions,
          event: { type: rule.event.type },
        },
      } as PreparedRule);
      rules[policy.appliesTo].push(prepared);
      byId.set(id, prepared);
    }
  }
  return Object.freeze({
    revision,
    dir,
    loadedAt: new Date(),
    policies: frozen,
    rules: Object.freeze({ booking: Object.freeze(rules.booking), topology: Object.freeze(rules.topology) }),
    byId,
  });
}

/** Every leaf condition of a condition tree, with its position. */
export function leavesOf(node: ConditionNode, at = ''): LeafRef[] {
  const join = (key: string) => (at ? `${at}.${key}` : key);
  if ('all' in node) return node.all.flatMap((c, i) => leavesOf(c, `${join('all')}[${i}]`));
  if ('any' in node) return node.any.flatMap((c, i) => leavesOf(c, `${join('any')}[${i}]`));
  if ('not' in node) return leavesOf(node.not, join('not'));
  return [{ at, condition: node }];
}
