/**
 * Checks the conditions of a rule against the fact catalog and the operators: every fact
 * exists for the policy's kind, every path exists in the fact's shape, every operator is known
 * and gets values of the types it compares. This is what turns a misspelt fact, which
 * json-rules-engine would only notice at run time (or, for a misspelt path, never), into an
 * error when the file is loaded.
 */
import { didYouMean, jsonPath } from './errors';
import { type FactDefinition, factsFor, findFact, type PolicyKind } from './facts/catalog';
import { describeShape, type Shape, shapeOf } from './facts/shape';
import { checkLiteral, checkReferenceTypes } from './operand-types';
import { findOperator, OPERATORS, type OperatorSpec } from './operators';
import { parsePath } from './path';

export interface ConditionProblem {
  readonly at: string;
  readonly message: string;
}

export type ConditionNode =
  | { all: ConditionNode[]; name?: string }
  | { any: ConditionNode[]; name?: string }
  | { not: ConditionNode; name?: string }
  | LeafCondition;

export interface FactReference {
  fact: string;
  path?: string;
}

export interface LeafCondition {
  fact: string;
  path?: string;
  operator: string;
  value: unknown;
  name?: string;
}

export const MAX_CONDITION_DEPTH = 8;
const BOOLEAN_KEYS = ['all', 'any', 'not'] as const;
const LEAF_KEYS = new Set(['fact', 'path', 'operator', 'value', 'name']);

const shapeCache = new WeakMap<FactDefinition, Shape>();
export function factShape(def: FactDefinition): Shape {
  let shape = shapeCache.get(def);
  if (!shape) {
    shape = shapeOf(def.schema);
    shapeCache.set(def, shape);
  }
  return shape;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Validates a rule's `conditions`; returns every problem found (empty when valid). */
export function checkConditions(conditions: unknown, kind: PolicyKind, at: string): ConditionProblem[] {
  const problems: ConditionProblem[] = [];
  if (!isObject(conditions)) {
    problems.push({ at, message: 'must be an object with "all", "any" or "not"' });
    return problems;
  }
  const root = BOOLEAN_KEYS.filter((k) => Object.hasOwn(conditions, k));
  if (root.length === 0) {
    problems.push({
      at,
      message: 'the top level of "conditions" must be an "all", "any" or "not" block',
    });
    return problems;
  }
  walk(conditions, kind, at, 1, problems);
  return problems;
}

function walk(
  node: unknown,
  kind: PolicyKind,
  at: string,
  depth: number,
  problems: ConditionProblem[],
): void {
  if (!isObject(node)) {
    problems.push({ at, message: 'a condition must be an object' });
    return;
  }
  if (depth > MAX_CONDITION_DEPTH) {
    problems.push({ at, message: `conditions are nested more than ${MAX_CONDITION_DEPTH} levels deep` });
    return;
  }
  const booleans = BOOLEAN_KEYS.filter((k) => Object.hasOwn(node, k));
  if (booleans.length > 0) {
    const op = booleans[0]!;
    const extra = Object.keys(node).filter((k) => k !== op && k !== 'name');
    if (extra.length > 0) {
      problems.push({
        at,
        message: `a "${op}" block may only have "${op}" and "name"; found ${extra.map((k) => `"${k}"`).join(', ')}`,
      });
    }
    checkName(node, at, problems);
    const inner = node[op];
    if (op === 'not') {
      if (Array.isArray(inner))
        problems.push({ at: jsonPath(at, op), message: '"not" takes one condition, not a list' });
      else walk(inner, kind, jsonPath(at, op), depth + 1, problems);
      return;
    }
    if (!Array.isArray(inner)) {
      problems.push({ at: jsonPath(at, op), message: `"${op}" must be a list of conditions` });
      return;
    }
    if (inner.length === 0) problems.push({ at: jsonPath(at, op), message: `"${op}" must not be empty` });
    for (const [i, child] of inner.entries())
      walk(child, kind, jsonPath(jsonPath(at, op), i), depth + 1, problems);
    return;
  }
  checkLeaf(node, kind, at, problems);
}

function checkName(node: Record<string, unknown>, at: string, problems: ConditionProblem[]): void {
  if (Object.hasOwn(node, 'name') && typeof node.name !== 'string') {
    problems.push({ at: jsonPath(at, 'name'), message: '"name" must be text' });
  }
}

function checkLeaf(
  node: Record<string, unknown>,
  kind: PolicyKind,
  at: string,
  problems: ConditionProblem[],
): void {
  if (Object.hasOwn(node, 'condition') && !Object.hasOwn(node, 'fact')) {
    problems.push({
      at: jsonPath(at, 'condition'),
      message: 'shared conditions ("condition": name) are not supported: write the condition in the rule',
    });
    return;
  }
  for (const key of Object.keys(node)) {
    if (LEAF_KEYS.has(key)) continue;
    const why =
      key === 'params'
        ? 'fact parameters are not supported: every fact is loaded before the rules run'
        : key === 'condition'
          ? 'shared conditions are not supported: write the condition in the rule'
          : key === 'priority'
            ? 'a priority on a condition is not supported (priorities belong to rules)'
            : `unknown property${didYouMean(key, LEAF_KEYS)}; a condition has "fact", "path", "operator", "value" and an optional "name"`;
    problems.push({ at: jsonPath(at, key), message: `"${key}": ${why}` });
  }
  checkName(node, at, problems);
  for (const required of ['fact', 'operator', 'value'] as const) {
    if (!Object.hasOwn(node, required)) problems.push({ at, message: `missing "${required}"` });
  }
  const factShapeAt = resolveReference(node, kind, at, problems);
  const operator = checkOperator(node.operator, at, problems);
  if (!Object.hasOwn(node, 'value')) return;
  const value = node.value;
  let valueShape: Shape | undefined;
  let literal = true;
  if (isObject(value) && Object.hasOwn(value, 'fact')) {
    literal = false;
    for (const key of Object.keys(value)) {
      if (key !== 'fact' && key !== 'path') {
        problems.push({
          at: jsonPath(jsonPath(at, 'value'), key),
          message: `"${key}": a fact reference has only "fact" and "path"`,
        });
      }
    }
    valueShape = resolveReference(value, kind, jsonPath(at, 'value'), problems);
  } else if (isObject(value)) {
    problems.push({
      at: jsonPath(at, 'value'),
      message:
        'a value is a number, text, true/false, null, a list, or a fact reference {"fact": ..., "path": ...}',
    });
    return;
  }
  if (!factShapeAt || !operator) return;
  const factLabel = labelOf(node as { fact: string; path?: string });
  const problem = literal
    ? checkLiteral(operator, factShapeAt, factLabel, value)
    : valueShape
      ? checkReferenceTypes(
          operator,
          factShapeAt,
          factLabel,
          valueShape,
          labelOf(value as unknown as FactReference),
        )
      : undefined;
  if (problem) problems.push({ at: jsonPath(at, 'value'), message: problem });
}

function labelOf(ref: { fact: string; path?: string }): string {
  return ref.path ? `${ref.fact}.${ref.path.replace(/^\$\.?/, '')}` : ref.fact;
}

/** Resolves `fact` + `path` of a condition or a value reference to the shape it points at. */
function resolveReference(
  node: Record<string, unknown>,
  kind: PolicyKind,
  at: string,
  problems: ConditionProblem[],
): Shape | undefined {
  if (!Object.hasOwn(node, 'fact')) return undefined;
  const name = node.fact;
  if (typeof name !== 'string' || name === '') {
    problems.push({ at: jsonPath(at, 'fact'), message: '"fact" must be the name of a fact' });
    return undefined;
  }
  const def = findFact(name);
  const available = factsFor(kind).map((f) => f.name);
  if (!def) {
    problems.push({
      at: jsonPath(at, 'fact'),
      message: `unknown fact "${name}"${didYouMean(name, available)}; ${kind} policies can use: ${available.join(', ')}`,
    });
    return undefined;
  }
  if (!def.appliesTo.includes(kind)) {
    problems.push({
      at: jsonPath(at, 'fact'),
      message: `fact "${name}" is not available in ${kind} policies (only in ${def.appliesTo.join(', ')} policies)`,
    });
    return undefined;
  }
  let shape = factShape(def);
  if (!Object.hasOwn(node, 'path')) return shape;
  if (typeof node.path !== 'string') {
    problems.push({ at: jsonPath(at, 'path'), message: '"path" must be text such as "durationHours"' });
    return undefined;
  }
  const parsed = parsePath(node.path);
  if (!parsed.ok) {
    problems.push({ at: jsonPath(at, 'path'), message: `path "${node.path}": ${parsed.reason}` });
    return undefined;
  }
  let walked = name;
  for (const segment of parsed.segments) {
    const next = stepInto(shape, segment);
    if (typeof next === 'string') {
      problems.push({
        at: jsonPath(at, 'path'),
        message: `path "${node.path}": ${next.replace('%s', walked)}`,
      });
      return undefined;
    }
    shape = next;
    walked = `${walked}.${segment}`;
  }
  return shape;
}

/** One step of a path into a shape; a string is the reason it cannot go there (%s = where). */
export function stepInto(shape: Shape, segment: string): Shape | string {
  switch (shape.kind) {
    case 'object': {
      if (Object.hasOwn(shape.fields, segment)) return shape.fields[segment]!;
      const names = Object.keys(shape.fields);
      return `"${segment}" is not a field of %s${didYouMean(segment, names)}; its fields are: ${names.join(', ')}`;
    }
    case 'record':
      return shape.of;
    case 'array':
      return /^\d+$/.test(segment)
        ? shape.of
        : `%s is a list: only positions (0, 1, ...) can follow it, not "${segment}"`;
    default:
      return `%s is a ${describeShape(shape)}: nothing can follow it ("${segment}")`;
  }
}

function checkOperator(
  operator: unknown,
  at: string,
  problems: ConditionProblem[],
): OperatorSpec | undefined {
  if (operator === undefined) return undefined;
  const names = OPERATORS.map((o) => o.name);
  if (typeof operator !== 'string') {
    problems.push({
      at: jsonPath(at, 'operator'),
      message: `"operator" must be one of: ${names.join(', ')}`,
    });
    return undefined;
  }
  const found = findOperator(operator);
  if (found) return found;
  const why = operator.includes(':')
    ? `operator decorators such as "${operator.split(':')[0]}:" are not supported; use "not", "any" or "all" blocks`
    : `unknown operator "${operator}"${didYouMean(operator, names)}`;
  problems.push({ at: jsonPath(at, 'operator'), message: `${why}; operators: ${names.join(', ')}` });
  return undefined;
}
