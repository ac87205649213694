import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lineColumn, parseJson, scanForError } from '../../src/rules/json';

function errorOf(text: string) {
  const parsed = parseJson(text);
  assert.equal(parsed.ok, false, `expected a syntax error in ${JSON.stringify(text)}`);
  return parsed as Extract<typeof parsed, { ok: false }>;
}

describe('rules/json', () => {
  it('parses valid JSON, also after a byte-order mark', () => {
    assert.deepEqual(parseJson('\uFEFF{"a": [1, true, null]}'), { ok: true, value: { a: [1, true, null] } });
  });

  const cases: Array<[string, string, number, number, RegExp]> = [
    ['a missing comma', '{\n  "policy": "x"\n  "rules": []\n}', 3, 3, /Expected ',' or '}'/],
    ['a trailing comma in a list', '{\n  "rules": [1, 2,]\n}', 2, 18, /trailing comma before "\]"/],
    ['a trailing comma in an object', '{\n  "a": 1,\n}', 3, 1, /property name/],
    ['a misspelt literal', '{\n  "a": tru\n}', 2, 11, /expected true/],
    ['a stray word', '{\n  "a": 1\n}\nextra', 4, 1, /after JSON|after the end/],
    ['an unterminated string', '{\n  "a": "open\n}', 2, 13, /string/i],
    ['single quotes', "{\n  'a': 1\n}", 2, 3, /property name/],
    ['an empty file', '', 1, 1, /end of/],
    ['a truncated file', '{\n  "a": [1,\n', 3, 1, /end of/],
  ];
  for (const [what, text, line, column, message] of cases) {
    it(`reports the line and column of ${what}`, () => {
      const error = errorOf(text);
      assert.deepEqual([error.line, error.column], [line, column], error.message);
      assert.match(error.message, message);
    });
  }

  it('counts lines and columns from 1', () => {
    assert.deepEqual(lineColumn('ab\ncd', 0), { line: 1, column: 1 });
    assert.deepEqual(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
  });

  it('accepts everything JSON.stringify produces, indented or not', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, indent) => {
        assert.equal(scanForError(JSON.stringify(value, null, indent ? 2 : undefined)), null);
      }),
    );
  });

  it('finds an error in every strict prefix of a JSON object, at or before its end', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (value, cut) => {
        const text = JSON.stringify(value);
        const prefix = text.slice(0, cut % text.length);
        const found = scanForError(prefix);
        assert.ok(found, `no error found in ${JSON.stringify(prefix)}`);
        assert.ok(found.position <= prefix.length);
      }),
    );
  });
});
