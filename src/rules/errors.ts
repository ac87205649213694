/**
 * Problems found in rule files, as `rules check`, hot reload logs and `rules test` print them:
 * always the file, then where in it (line:column for syntax errors, the rule name and a JSON
 * path such as `rules[2].conditions.all[0].fact` otherwise), then what is wrong.
 */

export interface RuleFileError {
  /** File name relative to the rules folder (or the folder itself for folder-level problems). */
  readonly file: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  /** The rule's name when known. */
  readonly rule?: string;
  /** JSON path inside the file, e.g. `rules[0].event.params.code`. */
  readonly at?: string;
}

/** Longest quoted value kept whole in a problem; longer ones are cut (a file may hold megabytes). */
const QUOTED_CHARS = 80;
/** Longest message, rule name or JSON path kept. */
const FIELD_CHARS = 500;

function clip(text: string): string {
  const quoted = text.replace(
    /"([^"]{81,})"/g,
    (_all, inner: string) => `"${inner.slice(0, QUOTED_CHARS)}…" (${inner.length} characters)`,
  );
  return quoted.length <= FIELD_CHARS
    ? quoted
    : `${quoted.slice(0, FIELD_CHARS)}… (${quoted.length} characters)`;
}

/**
 * The same problem with long values cut, so a hostile or broken file (megabyte strings,
 * thousands of nested blocks) cannot flood `rules check`, the hot-reload log or a JSON report.
 */
export function boundRuleFileError(error: RuleFileError): RuleFileError {
  const bounded: { -readonly [K in keyof RuleFileError]: RuleFileError[K] } = {
    ...error,
    message: clip(error.message),
  };
  if (error.rule !== undefined) bounded.rule = clip(error.rule);
  if (error.at !== undefined) bounded.at = clip(error.at);
  return bounded;
}

export function formatRuleFileError(error: RuleFileError): string {
  if (error.line !== undefined) return `${error.file}:${error.line}:${error.column ?? 1}: ${error.message}`;
  const where = [error.rule !== undefined ? `rule "${error.rule}"` : undefined, error.at]
    .filter(Boolean)
    .join(' at ');
  return where ? `${error.file}: ${where}: ${error.message}` : `${error.file}: ${error.message}`;
}

/** Appends a JSON path segment: `rules` + 2 -> `rules[2]`, `rules[2]` + `event` -> `rules[2].event`. */
export function jsonPath(base: string, segment: string | number): string {
  if (typeof segment === 'number') return `${base}[${segment}]`;
  const key = /^[A-Za-z_$][\w$]*$/.test(segment) ? segment : JSON.stringify(segment);
  if (!/^[A-Za-z_$]/.test(key)) return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/** The closest candidate to a misspelt word, if one is close enough to be what was meant. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  // No name is this long: skip the quadratic edit distance on a hostile megabyte string.
  if (word.length > 100) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hit = suggest(word, candidates);
  return hit ? ` (did you mean "${hit}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
