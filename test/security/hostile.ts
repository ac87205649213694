/**
 * Adversarial values for the hostile-input property tests: what a buggy or malicious producer,
 * a careless admin or a legacy writer could hand the worker. Every generator is bounded so a
 * run stays fast, but each family is represented (SQL metacharacters, prototype keys, very long
 * strings, deep nesting, non-finite numbers, out-of-range dates, lone surrogates, NUL).
 */
import fc from 'fast-check';

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

export const SQL_STRINGS = [
  "'; DROP TABLE booking_table; --",
  "1' OR '1'='1",
  '1; DELETE FROM booking_table',
  '$1',
  '?',
  '??',
  '\\',
  "''",
  '"; SELECT pg_sleep(10); --',
  "1' UNION SELECT password FROM user_table --",
  ':name',
  '%s%s%s%n',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt, as data
  '${process.exit(1)}',
  '{{constructor.constructor("return process")()}}',
] as const;

export const HOSTILE_DATES = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '2200-01-01T00:00:00Z',
  '2026-02-30T10:00:00Z',
  '2026-11-24T24:00:00Z',
  '2026-11-24T09:00:00',
  '2026-11-24T09:00:00+99:00',
  '2026-11-24',
  'NaN',
  'Infinity',
  '',
] as const;

/** Lone surrogates, NUL, BOM, RTL override: strings Postgres or a terminal would choke on. */
export const ODD_STRINGS = [
  '\ud800',
  '\udfff',
  'a\ud83dz',
  '\u0000',
  '\ufeff',
  '\u202e',
  '\r\n',
  '٢٠٢٦',
] as const;

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SQL_STRINGS, ...HOSTILE_DATES, ...ODD_STRINGS, ...PROTO_KEYS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  // Very long strings: one of a few sizes, so shrinking stays quick.
  fc.constantFrom(10_000, 100_000, 1_000_000).map((n) => 'x'.repeat(n)),
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    -1,
    1.5,
    2 ** 31,
    2 ** 53,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
  ),
  fc.double(),
  fc.integer(),
);

/** Any scalar, hostile or not. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, undefined, true, false),
);

/** Arrays or objects nested `depth` levels deep (the worst case for recursive code). */
export function deeplyNested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = kind === 'array' ? [value] : { a: value };
  return value;
}

export const deepValue: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(100, 10_000, 100_000), fc.constantFrom('array' as const, 'object' as const))
  .map(([depth, kind]) => deeplyNested(depth, kind));

/** An object whose own keys include prototype names (as JSON.parse would produce them). */
export const protoObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(fc.constantFrom(...PROTO_KEYS), hostileScalar)
  .map(([key, value]) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value ?? null)}}`));

/** Any value a hostile producer could send: scalars, JSON trees with hostile leaves, deep nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: protoObject },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileScalar, { maxKeys: 4 }) },
);

/** Replaces the value at a random path of `base` (or adds a key there) with a hostile value. */
export function mutate(base: unknown): fc.Arbitrary<unknown> {
  const paths: string[][] = [];
  const walk = (value: unknown, at: string[]) => {
    paths.push(at);
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
    }
  };
  walk(base, []);
  return fc
    .tuple(
      fc.constantFrom(...paths),
      hostileValue,
      fc.boolean(),
      fc.oneof(hostileString, fc.constantFrom(...PROTO_KEYS)),
    )
    .map(([at, value, addKey, key]) => {
      const copy = structuredClone(base);
      if (at.length === 0) return addKey && isObject(copy) ? withKey(copy, key, value) : value;
      let parent: unknown = copy;
      for (const k of at.slice(0, -1)) parent = (parent as Record<string, unknown>)[k];
      const last = at[at.length - 1] as string;
      const target = parent as Record<string, unknown>;
      if (addKey && isObject(target[last])) target[last] = withKey(target[last], key, value);
      else target[last] = value;
      return copy;
    });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Adds an own key, even `__proto__` (defineProperty, as JSON.parse does). */
function withKey(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

/** Runs fn and returns how long it took, in milliseconds. */
export function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

/** A per-case time bound generous enough for a loaded CI machine, far below a hang. */
export const CASE_MS = 2_000;
