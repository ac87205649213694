/**
 * Safe, bounded rendering of untrusted values for finding messages and details. Topology JSON
 * is user input: values may be huge, deeply nested, carry `__proto__` keys, NUL characters or
 * lone surrogates (which Postgres text and jsonb reject). Nothing here recurses into a value or
 * calls JSON.stringify on it, so no input can overflow the stack or take long.
 */
import type { JsonValue } from './types';

/** Longest rendering of one value inside a message. */
export const VALUE_CHARS = 60;

// NUL is refused by Postgres text/jsonb; lone surrogates are not valid UTF-8.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what must be removed
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The string with NUL and lone surrogates replaced by U+FFFD, cut to `max` characters. */
export function cleanText(text: string, max = Number.POSITIVE_INFINITY): string {
  let out = text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
  // Cutting may split a surrogate pair; the replacement below repairs that too.
  out = out.replace(UNSAFE, '\ufffd');
  return out;
}

/** A short, quoted rendering of any value: `"abc"`, `3.5`, `null`, `an object`, `an array of 4`. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `"${cleanText(value, VALUE_CHARS)
        .replace(/["\\]/g, '\\$&')
        .replace(/[\n\r\t]/g, ' ')}"`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'nothing';
    case 'bigint':
      return cleanText(`${value}n`, VALUE_CHARS);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of ${value.length}`;
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** The value as JSON for a finding's detail, bounded the same way as `describeValue`. */
export function detailValue(value: unknown): JsonValue {
  switch (typeof value) {
    case 'string':
      return cleanText(value, VALUE_CHARS);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'object':
      if (value === null) return null;
      return describeValue(value);
    default:
      return describeValue(value);
  }
}

/** An id quoted for a message: `"n1"`, cut to VALUE_CHARS. */
export function quoteId(id: string): string {
  return describeValue(id);
}

/** Own property of a plain object, never one inherited (`constructor`, `__proto__`...). */
export function own(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** A React Flow id: a non-empty string, or a finite number read as its decimal text. */
export function readId(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

export function isRecord(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Up to `max` items joined for a message, with "and N more". */
export function listForMessage(items: readonly string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`;
}
