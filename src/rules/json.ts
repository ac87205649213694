/**
 * JSON parsing that tells an admin where a syntax error is (line and column, 1-based).
 *
 * `JSON.parse` reports a character position for most errors, but not for some of the most
 * common hand-editing mistakes (`[1, 2,]`, a misspelt `tru`, a stray word): for those a small
 * scanner finds the position of the first offending character.
 */

export type JsonParse =
  | { ok: true; value: unknown }
  | { ok: false; message: string; position: number; line: number; column: number };

export function parseJson(text: string): JsonParse {
  // Editors on some systems save a byte-order mark; JSON.parse rejects it.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(source) };
  } catch (error) {
    const raw = (error as Error).message;
    const reported = /at position (\d+)/.exec(raw);
    const scanned = scanForError(source);
    const position = reported ? Number(reported[1]) : (scanned?.position ?? source.length);
    const message = reported
      ? raw.replace(/ in JSON at position \d+.*$/s, '')
      : (scanned?.message ?? raw.replace(/, ".*" is not valid JSON$/s, ''));
    return { ok: false, message, position, ...lineColumn(source, position) };
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, text.length);
  for (let i = 0; i < end; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

class ScanError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** Finds the first syntax error of a JSON text, or null if the scanner accepts it. */
export function scanForError(text: string): { message: string; position: number } | null {
  let i = 0;
  const fail = (message: string): never => {
    throw new ScanError(message, i);
  };
  const describe = (): string => (i >= text.length ? 'end of file' : `"${text[i]}"`);
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i += 1;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k += 1, i += 1) {
      if (text[i] !== word[k]) fail(`unexpected ${describe()} (expected ${word})`);
    }
  };
  const string = (): void => {
    i += 1; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) {
        i += 1;
        return;
      }
      if (c < 32) fail('line break or control character inside a string');
      if (c === 92) {
        i += 1;
        const e = text[i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('bad \\u escape in a string');
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 1;
        } else {
          fail('bad escape in a string');
        }
      } else {
        i += 1;
      }
    }
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail(`unexpected ${describe()} (expected a number)`);
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i += 1;
      ws();
      if (text[i] === '}') {
        i += 1;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`unexpected ${describe()} (expected a property name in double quotes)`);
        string();
        ws();
        if (text[i] !== ':') fail(`unexpected ${describe()} (expected ":" after a property name)`);
        i += 1;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i += 1;
          ws();
          if (text[i] === '}') fail('trailing comma before "}"');
          continue;
        }
        if (text[i] === '}') {
          i += 1;
          return;
        }
        fail(`unexpected ${describe()} (expected "," or "}")`);
      }
    }
    if (c === '[') {
      i += 1;
      ws();
      if (text[i] === ']') {
        i += 1;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i += 1;
          ws();
          if (text[i] === ']') fail('trailing comma before "]"');
          continue;
        }
        if (text[i] === ']') {
          i += 1;
          return;
        }
        fail(`unexpected ${describe()} (expected "," or "]")`);
      }
    }
    if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail(`unexpected ${describe()} (expected a value)`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the document`);
    return null;
  } catch (error) {
    if (error instanceof ScanError) return { message: error.message, position: error.position };
    throw error;
  }
}
