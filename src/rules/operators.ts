/**
 * The operators a condition may use, with their meaning and the types they accept.
 *
 * They replace json-rules-engine's built-in operators of the same names with versions that
 * never throw and never compare across types: the built-ins check only the fact side, so
 * `greaterThan` against a limit that is null (not set) would compare `5 > null`, which is true
 * in JavaScript and would fire a limit rule for a limit nobody set. Here a comparison with a
 * missing value (null or absent) is simply false, and a list operator given a non-list is false.
 *
 * `containsAny` is this project's own operator. json-rules-engine's operator decorators
 * (`someFact:`, `not:` ...) are not offered: use the `not`, `any` and `all` condition blocks.
 */
import { Operator } from 'json-rules-engine';

/** What an operator needs on each side; checked against the fact catalog by the validator. */
export type OperandRule =
  /** fact: a single value (number, text, true/false); value: the same type */
  | 'scalar-same'
  /** fact: a single value; value: a list of that type */
  | 'scalar-list'
  /** fact: a list; value: one element of it */
  | 'list-element'
  /** fact: a list; value: a list of its elements */
  | 'list-list'
  /** fact and value: numbers */
  | 'number-number';

export interface OperatorSpec {
  readonly name: string;
  readonly operands: OperandRule;
  /** For admins, in docs/rules.md. */
  readonly meaning: string;
  readonly example: string;
  readonly evaluate: (factValue: unknown, value: unknown) => boolean;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function numeric(test: (a: number, b: number) => boolean) {
  return (a: unknown, b: unknown) => isNumber(a) && isNumber(b) && test(a, b);
}

export const OPERATORS: readonly OperatorSpec[] = Object.freeze([
  {
    name: 'equal',
    operands: 'scalar-same',
    meaning: 'the fact is exactly the value (text is case-sensitive)',
    example: '{ "fact": "device", "path": "category", "operator": "equal", "value": "amplifier" }',
    evaluate: (a, b) => a === b,
  },
  {
    name: 'notEqual',
    operands: 'scalar-same',
    meaning: 'the fact is not exactly the value',
    example: '{ "fact": "requester", "path": "role", "operator": "notEqual", "value": "Admin" }',
    evaluate: (a, b) => a !== b,
  },
  {
    name: 'lessThan',
    operands: 'number-number',
    meaning: 'the fact is a number smaller than the value (false if either is null)',
    example: '{ "fact": "booking", "path": "startsInHours", "operator": "lessThan", "value": 0 }',
    evaluate: numeric((a, b) => a < b),
  },
  {
    name: 'lessThanInclusive',
    operands: 'number-number',
    meaning: 'the fact is a number smaller than or equal to the value',
    example: '{ "fact": "booking", "path": "durationHours", "operator": "lessThanInclusive", "value": 0 }',
    evaluate: numeric((a, b) => a <= b),
  },
  {
    name: 'greaterThan',
    operands: 'number-number',
    meaning: 'the fact is a number larger than the value (false if either is null)',
    example: '{ "fact": "conflicts", "path": "count", "operator": "greaterThan", "value": 0 }',
    evaluate: numeric((a, b) => a > b),
  },
  {
    name: 'greaterThanInclusive',
    operands: 'number-number',
    meaning: 'the fact is a number larger than or equal to the value',
    example: '{ "fact": "utilization", "path": "ratio7d", "operator": "greaterThanInclusive", "value": 0.8 }',
    evaluate: numeric((a, b) => a >= b),
  },
  {
    name: 'in',
    operands: 'scalar-list',
    meaning: 'the fact is one of the values in the list',
    example: '{ "fact": "requester", "path": "role", "operator": "in", "value": ["Admin", "Operator"] }',
    evaluate: (a, b) => Array.isArray(b) && b.includes(a),
  },
  {
    name: 'notIn',
    operands: 'scalar-list',
    meaning: 'the fact is none of the values in the list',
    example: '{ "fact": "device", "path": "site", "operator": "notIn", "value": ["Lab A", "Lab B"] }',
    evaluate: (a, b) => Array.isArray(b) && !b.includes(a),
  },
  {
    name: 'contains',
    operands: 'list-element',
    meaning: 'the fact is a list that contains the value',
    example: '{ "fact": "device", "path": "tags", "operator": "contains", "value": "restricted" }',
    evaluate: (a, b) => Array.isArray(a) && a.includes(b),
  },
  {
    name: 'doesNotContain',
    operands: 'list-element',
    meaning: 'the fact is a list that does not contain the value',
    example: '{ "fact": "ownership", "path": "ownerIds", "operator": "doesNotContain", "value": 1 }',
    evaluate: (a, b) => Array.isArray(a) && !a.includes(b),
  },
  {
    name: 'containsAny',
    operands: 'list-list',
    meaning: "the fact is a list that contains at least one of the values (this project's operator)",
    example:
      '{ "fact": "topology", "path": "categories", "operator": "containsAny", "value": ["amplifier", "switch"] }',
    evaluate: (a, b) => Array.isArray(a) && Array.isArray(b) && b.some((v) => a.includes(v)),
  },
]);

const BY_NAME: ReadonlyMap<string, OperatorSpec> = new Map(OPERATORS.map((o) => [o.name, o]));

export function findOperator(name: string): OperatorSpec | undefined {
  return BY_NAME.get(name);
}

/** json-rules-engine Operator instances; stateless, so one set serves every engine. */
export const ENGINE_OPERATORS: readonly Operator[] = Object.freeze(
  OPERATORS.map((o) => new Operator(o.name, (a: unknown, b: unknown) => o.evaluate(a, b))),
);
