/**
 * Plain dot paths into fact values (`windows.0.startsAt`), used by conditions (`"path"`), by
 * `{{fact.path}}` placeholders in messages and by explanations.
 *
 * Deliberately not JSONPath: no filters, no scripts, no recursion, and about 3x faster than
 * json-rules-engine's default resolver. Only own properties are followed, so a path can never
 * reach `__proto__`, `constructor` or `prototype` of a value (those segments are rejected
 * outright as well, both here and when a rule file is validated).
 */

export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$|^(0|[1-9][0-9]*)$/;

export type PathParse = { ok: true; segments: readonly string[] } | { ok: false; reason: string };

/**
 * Splits a path into segments. Accepts `a.b.0` and, for familiarity with json-rules-engine's
 * documentation, a leading `$.` (`$.a.b`). The empty path means the value itself.
 */
export function parsePath(path: string): PathParse {
  let p = path;
  if (p === '$' || p === '') return { ok: true, segments: [] };
  if (p.startsWith('$.')) p = p.slice(2);
  const segments = p.split('.');
  for (const segment of segments) {
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      return { ok: false, reason: `the segment "${segment}" is not allowed in a path` };
    }
    if (!SEGMENT.test(segment)) {
      return {
        ok: false,
        reason:
          segment === ''
            ? 'a path cannot have an empty segment (two dots in a row, or a dot at an end)'
            : `"${segment}" is not a valid path segment (use names of letters, digits, _ and -, such as windowDays, or list positions such as 0)`,
      };
    }
  }
  return { ok: true, segments };
}

/** Follows already-parsed segments; undefined when any step is missing. */
export function resolveSegments(value: unknown, segments: readonly string[]): unknown {
  let current: unknown = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (FORBIDDEN_SEGMENTS.has(segment)) return undefined;
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
      continue;
    }
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * A path resolver with a cache of parsed paths. Rule sets are small and fixed, so the cache
 * stays bounded by the number of distinct paths in the rule files of one snapshot.
 */
export function createPathResolver(): (value: unknown, path: string) => unknown {
  const cache = new Map<string, readonly string[] | null>();
  return (value, path) => {
    let segments = cache.get(path);
    if (segments === undefined) {
      const parsed = parsePath(path);
      segments = parsed.ok ? parsed.segments : null;
      cache.set(path, segments);
    }
    return segments === null ? undefined : resolveSegments(value, segments);
  };
}

/** Resolves `path` in `value` without a cache (explanations, messages, tests). */
export function resolvePath(value: unknown, path: string): unknown {
  const parsed = parsePath(path);
  return parsed.ok ? resolveSegments(value, parsed.segments) : undefined;
}
