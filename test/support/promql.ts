/**
 * A small PromQL scanner for checking dashboards and alerts against the documented metrics:
 * which series an expression selects (with the label names of its matchers) and which labels it
 * groups or matches on. Syntax is checked by promtool; this only has to find names, so it
 * skips strings, numbers, durations, ranges and Grafana variables, and tells metric names from
 * functions by the `(` that follows a function.
 */

export interface Selection {
  /** The series name (`provdb_job_duration_seconds_bucket`). */
  metric: string;
  /** Label names used in its `{...}` matchers. */
  labels: string[];
}

export interface ScannedExpression {
  selections: Selection[];
  /** Label names in `by`, `without`, `on`, `ignoring`, `group_left` and `group_right` lists. */
  groupingLabels: string[];
}

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan', ...GROUPING]);
const IDENT_START = /[A-Za-z_:]/;
const IDENT = /[A-Za-z0-9_:]/;

class Scanner {
  private at = 0;
  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.at >= this.text.length;
  }

  peek(): string {
    return this.text[this.at] ?? '';
  }

  next(): string {
    const char = this.text[this.at] ?? '';
    this.at += 1;
    return char;
  }

  skipSpace(): void {
    while (!this.done && /\s/.test(this.peek())) this.at += 1;
  }

  skipString(quote: string): void {
    while (!this.done) {
      const char = this.next();
      if (char === '\\' && quote !== '`') this.at += 1;
      else if (char === quote) return;
    }
  }

  /** Reads up to the matching closer, skipping strings; returns the text in between. */
  readUntil(closer: string): string {
    const start = this.at;
    while (!this.done) {
      const char = this.next();
      if (char === '"' || char === "'" || char === '`') this.skipString(char);
      else if (char === closer) return this.text.slice(start, this.at - 1);
    }
    throw new Error(`unclosed "${closer}" in: ${this.text}`);
  }

  lookingAt(pattern: RegExp): boolean {
    return pattern.test(this.text.slice(this.at));
  }

  readWhile(pattern: RegExp): string {
    const start = this.at;
    while (!this.done && pattern.test(this.peek())) this.at += 1;
    return this.text.slice(start, this.at);
  }
}

/** Label names of a matcher list such as `job="x", outcome=~"a|b"`. */
function matcherLabels(body: string): string[] {
  const withoutStrings = body.replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`/g, '""');
  return [...withoutStrings.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
}

function labelList(body: string): string[] {
  return body
    .split(',')
    .map((label) => label.trim())
    .filter((label) => label !== '');
}

export function scanPromql(expr: string): ScannedExpression {
  const scanner = new Scanner(expr);
  const selections: Selection[] = [];
  const groupingLabels: string[] = [];
  while (!scanner.done) {
    const char = scanner.peek();
    if (char === '"' || char === "'" || char === '`') {
      scanner.next();
      scanner.skipString(char);
    } else if (char === '#') {
      scanner.readUntil('\n');
    } else if (char === '[') {
      scanner.next();
      scanner.readUntil(']');
    } else if (char === '{') {
      // A selector without a metric name (`{__name__=~"..."}`): not used here, so refuse it.
      throw new Error(`selector without a metric name in: ${expr}`);
    } else if (char === '$') {
      // A Grafana variable outside a string or range (`$__interval` in a subquery step).
      scanner.next();
      scanner.readWhile(/[A-Za-z0-9_{}]/);
    } else if (/[0-9.]/.test(char)) {
      scanner.readWhile(/[0-9A-Za-z_.]/);
    } else if (IDENT_START.test(char)) {
      const word = scanner.readWhile(IDENT);
      scanner.skipSpace();
      const lower = word.toLowerCase();
      if (GROUPING.has(lower)) {
        if (scanner.peek() === '(') {
          scanner.next();
          groupingLabels.push(...labelList(scanner.readUntil(')')));
        }
      } else if (KEYWORDS.has(lower)) {
        // An operator or modifier keyword: nothing to record.
      } else if (scanner.peek() === '(' || scanner.lookingAt(/^(by|without)\s*\(/i)) {
        // A function or aggregation call (`sum by (x) (...)`): its arguments are scanned as
        // the loop goes on.
      } else {
        let labels: string[] = [];
        if (scanner.peek() === '{') {
          scanner.next();
          labels = matcherLabels(scanner.readUntil('}'));
        }
        selections.push({ metric: word, labels });
      }
    } else {
      scanner.next();
    }
  }
  return { selections, groupingLabels };
}

/**
 * Replaces Grafana's variables with values Prometheus accepts, so a dashboard query can be
 * checked by promtool. Unknown variables are left in place (and then fail the check).
 */
export function substituteGrafanaVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      return Object.hasOwn(values, name) ? values[name]! : whole;
    },
  );
}
