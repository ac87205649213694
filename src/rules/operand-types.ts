/**
 * Type checks of a condition's two sides for its operator: the fact's shape from the catalog,
 * and either a literal value or another fact's shape. Messages say what was expected in the
 * words admins see in docs/rules.md ("whole number", "list of texts").
 */
import { didYouMean } from './errors';
import { describeShape, type Shape } from './facts/shape';
import type { OperatorSpec } from './operators';

type Scalar = 'number' | 'string' | 'boolean';
const isScalar = (s: Shape): s is Extract<Shape, { kind: Scalar }> =>
  s.kind === 'number' || s.kind === 'string' || s.kind === 'boolean';

function scalarMismatch(expected: Shape, value: unknown, label: string): string | undefined {
  if (value === null) return expected.nullable ? undefined : `${label} is never null`;
  if (expected.kind === 'number' && typeof value !== 'number')
    return `${label} is a number; got ${json(value)}`;
  if (expected.kind === 'boolean' && typeof value !== 'boolean')
    return `${label} is true/false; got ${json(value)}`;
  if (expected.kind === 'string') {
    if (typeof value !== 'string') return `${label} is ${describeShape(expected)}; got ${json(value)}`;
    if (expected.values && !expected.values.includes(value)) {
      return `${json(value)} is not a possible value of ${label}${didYouMean(value, expected.values)}; it is ${describeShape(expected)}`;
    }
  }
  return undefined;
}

function json(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function wrongFact(op: OperatorSpec, fact: Shape, label: string): string | undefined {
  const what = `${label} is ${article(describeShape(fact))}`;
  switch (op.operands) {
    case 'scalar-same':
    case 'scalar-list':
      if (isScalar(fact)) return undefined;
      return fact.kind === 'array'
        ? `"${op.name}" compares single values, but ${what}: use "contains", "doesNotContain" or "containsAny"`
        : `"${op.name}" compares single values, but ${what}: add a "path" to one of its fields`;
    case 'number-number':
      if (fact.kind === 'number') return undefined;
      return fact.kind === 'string' && fact.timestamp
        ? `"${op.name}" compares numbers, but ${what}: use an hours fact such as booking.startsInHours`
        : `"${op.name}" compares numbers, but ${what}`;
    case 'list-element':
    case 'list-list':
      if (fact.kind === 'array' && isScalar(fact.of)) return undefined;
      return fact.kind === 'array'
        ? `"${op.name}" works on lists of numbers, text or true/false, but ${what}`
        : `"${op.name}" needs a list, but ${what}`;
  }
}

function article(words: string): string {
  return /^(object|one of)/.test(words) ? (words.startsWith('object') ? `an ${words}` : words) : `a ${words}`;
}

export function checkLiteral(
  op: OperatorSpec,
  fact: Shape,
  label: string,
  value: unknown,
): string | undefined {
  const bad = wrongFact(op, fact, label);
  if (bad) return bad;
  switch (op.operands) {
    case 'scalar-same':
      return scalarMismatch(fact, value, label);
    case 'number-number':
      return typeof value === 'number'
        ? undefined
        : `"${op.name}" needs a number as value; got ${json(value)}`;
    case 'scalar-list':
    case 'list-list': {
      if (!Array.isArray(value)) return `"${op.name}" needs a list as value, e.g. [1, 2]; got ${json(value)}`;
      const element = fact.kind === 'array' ? fact.of : fact;
      for (const item of value) {
        const mismatch = scalarMismatch(
          element,
          item,
          fact.kind === 'array' ? `an element of ${label}` : label,
        );
        if (mismatch) return mismatch;
      }
      return undefined;
    }
    case 'list-element':
      return fact.kind === 'array' ? scalarMismatch(fact.of, value, `an element of ${label}`) : undefined;
  }
}

export function checkReferenceTypes(
  op: OperatorSpec,
  fact: Shape,
  label: string,
  value: Shape,
  valueLabel: string,
): string | undefined {
  const bad = wrongFact(op, fact, label);
  if (bad) return bad;
  const sameScalar = (a: Shape, b: Shape) => isScalar(a) && isScalar(b) && a.kind === b.kind;
  const ok = ((): boolean => {
    switch (op.operands) {
      case 'scalar-same':
        return sameScalar(fact, value);
      case 'number-number':
        return value.kind === 'number';
      case 'scalar-list':
        return value.kind === 'array' && sameScalar(fact, value.of);
      case 'list-element':
        return fact.kind === 'array' && sameScalar(fact.of, value);
      case 'list-list':
        return fact.kind === 'array' && value.kind === 'array' && sameScalar(fact.of, value.of);
    }
  })();
  return ok
    ? undefined
    : `"${op.name}" cannot compare ${label} (${describeShape(fact)}) with ${valueLabel} (${describeShape(value)})`;
}
