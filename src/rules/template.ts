/**
 * `{{fact.path}}` placeholders in messages and approvers. A placeholder is only a fact name and
 * a dot path (no expressions, no filters, no code), checked against the catalog when the file
 * is loaded, and filled from the facts of an evaluation with plain, bounded text.
 */
import { resolvePath } from './path';

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_-]+)*)$/;
const MAX_VALUE_CHARS = 200;
const MAX_MESSAGE_CHARS = 1000;

export interface Placeholder {
  /** As written, without braces: `usage.activeFutureBookings`. */
  readonly text: string;
  readonly fact: string;
  /** Path inside the fact, '' for the whole fact. */
  readonly path: string;
}

export type TemplateParse = { ok: true; placeholders: Placeholder[] } | { ok: false; reason: string };

export function parseTemplate(template: string): TemplateParse {
  const placeholders: Placeholder[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const text = match[1]!;
    const ref = REFERENCE.exec(text);
    if (!ref) {
      return {
        ok: false,
        reason: `"{{${text}}}" is not a fact reference (write a fact name and path, e.g. {{usage.activeFutureBookings}})`,
      };
    }
    placeholders.push({ text, fact: ref[1]!, path: (ref[2] ?? '').replace(/^\./, '') });
  }
  const rest = template.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) {
    return { ok: false, reason: 'has an unmatched "{{" or "}}"' };
  }
  return { ok: true, placeholders };
}

/** The value a placeholder stands for in a facts object. */
export function placeholderValue(facts: Readonly<Record<string, unknown>>, p: Placeholder): unknown {
  if (!Object.hasOwn(facts, p.fact)) return undefined;
  const value = facts[p.fact];
  return p.path ? resolvePath(value, p.path) : value;
}

/** Fills placeholders with fact values as readable text. */
export function interpolate(template: string, facts: Readonly<Record<string, unknown>>): string {
  if (!template.includes('{{')) return template;
  const out = template.replace(PLACEHOLDER, (whole, text: string) => {
    const ref = REFERENCE.exec(text);
    if (!ref) return whole;
    const value = placeholderValue(facts, { text, fact: ref[1]!, path: (ref[2] ?? '').replace(/^\./, '') });
    return formatValue(value);
  });
  return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS - 1)}…` : out;
}

/** Fact values as an admin reads them: numbers rounded to 2 decimals, lists comma-separated. */
export function formatValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = '(unknown)';
  else if (value === null) text = 'none';
  else if (typeof value === 'number')
    text = Number.isFinite(value) ? String(Number(value.toFixed(2))) : 'none';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = value ? 'yes' : 'no';
  else if (Array.isArray(value))
    text = value.length === 0 ? 'none' : value.map((v) => formatValue(v)).join(', ');
  else text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
