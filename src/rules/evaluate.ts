/**
 * Evaluating a snapshot's rules against a facts object.
 *
 * A fresh json-rules-engine Engine is built for every evaluation from the snapshot's frozen rule
 * definitions: one Engine shared by concurrent `run()` calls is unsafe (a fast run marks it
 * finished and a slower one silently skips its lower-priority rules), and Rule instances carry
 * per-run state. Building one costs about 8 µs for the 18 shipped booking rules, some 5% of an
 * evaluation (see bench/rules-eval.ts).
 *
 * Facts are handed in whole, as runtime facts, so no condition ever fetches anything; undefined
 * facts are errors (`allowUndefinedFacts: false`), paths are plain dot paths.
 *
 * Which rules fire is found first with the conditions compiled to plain functions (./match.ts:
 * the engine's own operators and path resolution); the engine then runs only the rules that
 * fire, to explain them (fact values, compared values, which conditions it evaluated). A rule
 * fires or not on its own facts, whatever the other rules do, so the decision, its reasons and
 * their explanations are those of a run of every rule (evaluateWithEngine, which `explain: 'all'`
 * uses; the tests compare the two on every shipped test case and on generated facts), at a
 * fraction of the cost: most rules do not fire, and the engine copies and walks each rule it
 * runs. Should the engine not fire a rule the functions said fires, the whole set is run through
 * the engine and its answer is the decision.
 */
import { Engine, type RuleResult } from 'json-rules-engine';
import type { FactsOf, PolicyKind } from './facts/catalog';
import { firingRules } from './match';
import { ENGINE_OPERATORS, findOperator } from './operators';
import { createPathResolver, resolvePath } from './path';
import type { EventType } from './policy';
import type { PreparedRule, RuleSetSnapshot } from './snapshot';
import { interpolate, parseTemplate, placeholderValue } from './template';

export type Outcome = 'allow' | 'require_approval' | 'deny';

export interface ConditionExplanation {
  /** Position in the rule's conditions, e.g. `all[1].any[0]`. */
  readonly at: string;
  readonly name?: string;
  readonly fact: string;
  readonly path?: string;
  readonly operator: string;
  /** The value as written in the rule: a literal, or a fact reference. */
  readonly value: unknown;
  /** The fact's value that was compared (null when the path leads nowhere). */
  readonly factValue: unknown;
  /** What it was compared with: the literal, or the referenced fact's value. */
  readonly comparedValue: unknown;
  readonly result: boolean;
  /** False when the engine skipped the condition (another one already decided the rule). */
  readonly evaluated: boolean;
}

export interface Reason {
  readonly policy: string;
  readonly rule: string;
  readonly type: EventType;
  readonly code: string;
  readonly message: string;
  readonly approver?: string;
  /** The values of the message's and approver's placeholders, by placeholder. */
  readonly values: Readonly<Record<string, unknown>>;
  readonly conditions: readonly ConditionExplanation[];
  /** In grouped decisions: the devices of the reservation for which the rule fired. */
  readonly deviceIds?: readonly number[];
}

export interface RuleTrace {
  readonly policy: string;
  readonly rule: string;
  readonly code: string;
  readonly conditions?: readonly ConditionExplanation[];
}

export interface Decision {
  readonly kind: PolicyKind;
  readonly outcome: Outcome;
  readonly revision: string;
  /** Fired rules: deny first, then require_approval, then flag; in file order within each. */
  readonly reasons: readonly Reason[];
  /** Rules evaluated that did not fire (with their conditions when asked for `explain: 'all'`). */
  readonly notFired: readonly RuleTrace[];
}

export interface EvaluateOptions {
  /** 'fired' (default): conditions only for fired rules; 'all': also for rules that did not fire. */
  readonly explain?: 'fired' | 'all';
  /**
   * Run every rule through the engine (evaluateWithEngine) rather than only those that fire: the
   * same decision, slower; for references in tests and benchmarks.
   */
  readonly everyRule?: boolean;
}

export class RuleEvaluationError extends Error {
  override readonly name = 'RuleEvaluationError';
}

/** The order reasons are listed in: deny, then require_approval, then flag. */
export const SEVERITY: Readonly<Record<EventType, number>> = { deny: 0, require_approval: 1, flag: 2 };

/** Any deny -> deny; else any require_approval -> require_approval; else allow (flags allow). */
export function combineOutcome(types: Iterable<EventType | Outcome>): Outcome {
  let outcome: Outcome = 'allow';
  for (const type of types) {
    if (type === 'deny') return 'deny';
    if (type === 'require_approval') outcome = 'require_approval';
  }
  return outcome;
}

const resolverBySnapshot = new WeakMap<RuleSetSnapshot, (value: unknown, path: string) => unknown>();

function resolverFor(snapshot: RuleSetSnapshot): (value: unknown, path: string) => unknown {
  let resolver = resolverBySnapshot.get(snapshot);
  if (!resolver) {
    resolver = createPathResolver();
    resolverBySnapshot.set(snapshot, resolver);
  }
  return resolver;
}

/**
 * Builds the Engine for one evaluation, with the kind's rules (or only `rules`). Exported for the
 * benchmark and the tests.
 */
export function buildEngine(
  snapshot: RuleSetSnapshot,
  kind: PolicyKind,
  rules: readonly PreparedRule[] = snapshot.rules[kind],
): Engine {
  const engine = new Engine([], {
    allowUndefinedFacts: false,
    allowUndefinedConditions: false,
    pathResolver: resolverFor(snapshot) as (value: object, path: string) => unknown,
  });
  for (const operator of ENGINE_OPERATORS) engine.addOperator(operator);
  for (const rule of rules) engine.addRule(rule.definition);
  return engine;
}

type EngineRun = { results: RuleResult[]; failureResults: RuleResult[] };

async function runEngine(
  snapshot: RuleSetSnapshot,
  kind: PolicyKind,
  factMap: Readonly<Record<string, unknown>>,
  rules?: readonly PreparedRule[],
): Promise<EngineRun> {
  try {
    return await buildEngine(snapshot, kind, rules).run(factMap);
  } catch (error) {
    throw new RuleEvaluationError(
      `evaluating the ${kind} rules of revision ${snapshot.revision} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The top-level facts the rules of a kind name (conditions and fact references). */
const factsNamed = new WeakMap<readonly PreparedRule[], readonly string[]>();

function namedFacts(rules: readonly PreparedRule[]): readonly string[] {
  let names = factsNamed.get(rules);
  if (!names) {
    const found = new Set<string>();
    const visit = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      if (Array.isArray(node)) {
        for (const n of node) visit(n);
        return;
      }
      const record = node as Record<string, unknown>;
      if (typeof record.fact === 'string') found.add(record.fact);
      for (const key of ['all', 'any', 'not', 'value']) if (key in record) visit(record[key]);
    };
    for (const rule of rules) visit(rule.rule.conditions);
    names = [...found];
    factsNamed.set(rules, names);
  }
  return names;
}

export async function evaluate<K extends PolicyKind>(
  snapshot: RuleSetSnapshot,
  kind: K,
  facts: FactsOf<K>,
  options: EvaluateOptions = {},
): Promise<Decision> {
  const rules = snapshot.rules[kind];
  if (options.explain === 'all' || rules.length === 0)
    return evaluateWithEngine(snapshot, kind, facts, options);
  const factMap = facts as unknown as Readonly<Record<string, unknown>>;
  // A fact a rule names is missing: the engine says what it makes of it (allowUndefinedFacts: false).
  if (namedFacts(rules).some((name) => !Object.hasOwn(factMap, name))) {
    return evaluateWithEngine(snapshot, kind, facts, options);
  }
  const firing = firingRules(rules, factMap);
  const run: EngineRun =
    firing.length === 0
      ? { results: [], failureResults: [] }
      : await runEngine(snapshot, kind, factMap, firing);
  if (run.results.length !== firing.length) return evaluateWithEngine(snapshot, kind, facts, options);
  const fired = new Set(firing);
  return decisionOf(
    snapshot,
    kind,
    factMap,
    run.results,
    rules.filter((rule) => !fired.has(rule)).map((rule) => ({ rule })),
  );
}

/** Every rule of the kind through json-rules-engine: the reference evaluate() agrees with. */
export async function evaluateWithEngine<K extends PolicyKind>(
  snapshot: RuleSetSnapshot,
  kind: K,
  facts: FactsOf<K>,
  options: EvaluateOptions = {},
): Promise<Decision> {
  const rules = snapshot.rules[kind];
  if (rules.length === 0)
    return { kind, outcome: 'allow', revision: snapshot.revision, reasons: [], notFired: [] };
  const factMap = facts as unknown as Readonly<Record<string, unknown>>;
  const run = await runEngine(snapshot, kind, factMap);
  const notFired: Array<{ rule: PreparedRule; result?: RuleResult }> = [];
  for (const result of run.failureResults) {
    const prepared = snapshot.byId.get(String(result.name));
    if (prepared) notFired.push({ rule: prepared, ...(options.explain === 'all' ? { result } : {}) });
  }
  return decisionOf(snapshot, kind, factMap, run.results, notFired);
}

function decisionOf(
  snapshot: RuleSetSnapshot,
  kind: PolicyKind,
  factMap: Readonly<Record<string, unknown>>,
  fired: readonly RuleResult[],
  notFired: ReadonlyArray<{ rule: PreparedRule; result?: RuleResult }>,
): Decision {
  const order = orderOf(snapshot.rules[kind]);
  const reasons: Reason[] = [];
  for (const result of fired) {
    const prepared = snapshot.byId.get(String(result.name));
    if (prepared) reasons.push(reasonOf(prepared, result, factMap));
  }
  reasons.sort(
    (a, b) =>
      SEVERITY[a.type] - SEVERITY[b.type] ||
      order.get(`${a.policy}/${a.rule}`)! - order.get(`${b.policy}/${b.rule}`)!,
  );
  const traces: RuleTrace[] = [...notFired]
    .sort((a, b) => order.get(a.rule.id)! - order.get(b.rule.id)!)
    .map(({ rule, result }) => ({
      policy: rule.policy,
      rule: rule.rule.name,
      code: rule.rule.event.params.code,
      ...(result ? { conditions: explainConditions(result, factMap) } : {}),
    }));
  return {
    kind,
    outcome: combineOutcome(reasons.map((r) => r.type)),
    revision: snapshot.revision,
    reasons,
    notFired: traces,
  };
}

/** Each rule's position in the kind's list (file order). */
const orders = new WeakMap<readonly PreparedRule[], Map<string, number>>();

function orderOf(rules: readonly PreparedRule[]): Map<string, number> {
  let order = orders.get(rules);
  if (!order) {
    order = new Map(rules.map((r, i) => [r.id, i]));
    orders.set(rules, order);
  }
  return order;
}

function reasonOf(
  prepared: PreparedRule,
  result: RuleResult,
  facts: Readonly<Record<string, unknown>>,
): Reason {
  const { type, params } = prepared.rule.event;
  const values: Record<string, unknown> = {};
  for (const template of [params.message, params.approver]) {
    if (template === undefined) continue;
    const parsed = parseTemplate(template);
    if (!parsed.ok) continue;
    for (const p of parsed.placeholders) values[p.text] = jsonSafe(placeholderValue(facts, p));
  }
  return {
    policy: prepared.policy,
    rule: prepared.rule.name,
    type,
    code: params.code,
    message: interpolate(params.message, facts),
    ...(params.approver !== undefined ? { approver: interpolate(params.approver, facts) } : {}),
    values,
    conditions: explainConditions(result, facts),
  };
}

interface ResultNode {
  all?: ResultNode[];
  any?: ResultNode[];
  not?: ResultNode;
  name?: string;
  fact?: string;
  path?: string;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  valueResult?: unknown;
  result?: boolean;
}

/**
 * The leaf conditions of a rule result with the values behind them. json-rules-engine records
 * `factResult` and `valueResult` only for the conditions it evaluated; the others (skipped
 * because another condition already decided the rule) are filled in here from the same facts
 * with the same resolver and operator, and marked `evaluated: false`.
 */
function explainConditions(
  result: RuleResult,
  facts: Readonly<Record<string, unknown>>,
): ConditionExplanation[] {
  const out: ConditionExplanation[] = [];
  const visit = (node: ResultNode, at: string): void => {
    const join = (key: string) => (at ? `${at}.${key}` : key);
    if (Array.isArray(node.all)) {
      for (const [i, c] of node.all.entries()) visit(c, `${join('all')}[${i}]`);
      return;
    }
    if (Array.isArray(node.any)) {
      for (const [i, c] of node.any.entries()) visit(c, `${join('any')}[${i}]`);
      return;
    }
    if (node.not !== undefined && Object.hasOwn(node, 'not')) {
      visit(node.not, join('not'));
      return;
    }
    const fact = String(node.fact);
    const operator = String(node.operator);
    const evaluated = typeof node.result === 'boolean';
    const factValue =
      evaluated && node.factResult !== undefined ? node.factResult : lookup(facts, fact, node.path);
    const value = node.value;
    const comparedValue =
      evaluated && node.valueResult !== undefined
        ? node.valueResult
        : isReference(value)
          ? lookup(facts, value.fact, value.path)
          : value;
    const outcome = evaluated
      ? node.result === true
      : (findOperator(operator)?.evaluate(factValue, comparedValue) ?? false);
    out.push({
      at,
      ...(node.name !== undefined ? { name: node.name } : {}),
      fact,
      ...(node.path !== undefined ? { path: node.path } : {}),
      operator,
      value: jsonSafe(value),
      factValue: jsonSafe(factValue),
      comparedValue: jsonSafe(comparedValue),
      result: outcome,
      evaluated,
    });
  };
  visit(result.conditions as unknown as ResultNode, '');
  return out;
}

function isReference(value: unknown): value is { fact: string; path?: string } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, 'fact');
}

function lookup(facts: Readonly<Record<string, unknown>>, fact: string, path: string | undefined): unknown {
  if (!Object.hasOwn(facts, fact)) return undefined;
  return path ? resolvePath(facts[fact], path) : facts[fact];
}

/** Decisions are stored as JSON: a value a path did not find is recorded as null. */
function jsonSafe(value: unknown): unknown {
  return value === undefined ? null : value;
}
