/**
 * Which rules fire, computed without json-rules-engine: the validated conditions compiled once
 * per rule into plain functions, with the same operators (./operators.ts) and the same path
 * resolution (./path.ts) the engine is given, so they fire exactly when the engine's rules do
 * (checked by the tests against the engine on every shipped test case).
 *
 * evaluate() (./evaluate.ts) uses it to run the engine only on the rules that fire, which it
 * needs for their explanations; replay uses it to find, cheaply, the reservations whose decision
 * cannot change, and evaluates only the others.
 */
import type { ConditionNode, FactReference, LeafCondition } from './conditions';
import { findOperator } from './operators';
import { parsePath, resolveSegments } from './path';
import type { PreparedRule } from './snapshot';

export type FactsRecord = Readonly<Record<string, unknown>>;
export type Matcher = (facts: FactsRecord) => boolean;

const compiled = new WeakMap<PreparedRule, Matcher>();

function isReference(value: unknown): value is FactReference {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, 'fact');
}

function reader(fact: string, path: string | undefined): (facts: FactsRecord) => unknown {
  if (path === undefined) return (facts) => facts[fact];
  const parsed = parsePath(path);
  if (!parsed.ok) return () => undefined;
  const segments = parsed.segments;
  return (facts) => resolveSegments(facts[fact], segments);
}

export function compileConditions(node: ConditionNode): Matcher {
  if ('all' in node) {
    const parts = node.all.map(compileConditions);
    return (facts) => parts.every((p) => p(facts));
  }
  if ('any' in node) {
    const parts = node.any.map(compileConditions);
    return (facts) => parts.some((p) => p(facts));
  }
  if ('not' in node) {
    const inner = compileConditions(node.not);
    return (facts) => !inner(facts);
  }
  const leaf = node as LeafCondition;
  const operator = findOperator(leaf.operator);
  if (!operator) throw new Error(`unknown operator ${JSON.stringify(leaf.operator)}`);
  const left = reader(leaf.fact, leaf.path);
  const value = leaf.value;
  const right = isReference(value) ? reader(value.fact, value.path) : () => value;
  return (facts) => operator.evaluate(left(facts), right(facts));
}

/** The rule's conditions as a function, compiled once per prepared rule. */
export function matcherOf(rule: PreparedRule): Matcher {
  let matcher = compiled.get(rule);
  if (!matcher) {
    matcher = compileConditions(rule.rule.conditions);
    compiled.set(rule, matcher);
  }
  return matcher;
}

/** The rules whose conditions hold for the facts, in the order given. */
export function firingRules(rules: readonly PreparedRule[], facts: FactsRecord): PreparedRule[] {
  return rules.filter((rule) => matcherOf(rule)(facts));
}
