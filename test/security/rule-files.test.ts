// Hostile rule files: whatever an admin (or an attacker with write access to RULES_DIR) puts in
// a policy file, loading it never throws, never hangs, and every problem names the file and
// where in it; a rule file cannot reach code (no eval, facts only from the catalog, no
// prototype walking).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { formatRuleFileError } from '../../src/rules/errors';
import { evaluate } from '../../src/rules/evaluate';
import { FACT_CATALOG } from '../../src/rules/facts/catalog';
import { buildRuleSet, type RuleSetLoad } from '../../src/rules/load';
import { createPathResolver, parsePath, resolvePath } from '../../src/rules/path';
import { cleanBooking, SHIPPED_RULES_DIR, snapshotOf } from '../support/rules';
import { CASE_MS, hostileString, mutate, PROTO_KEYS, SQL_STRINGS, timed } from './hostile';

const FILE = 'hostile.json';
const SHIPPED = readdirSync(SHIPPED_RULES_DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, value: JSON.parse(readFileSync(path.join(SHIPPED_RULES_DIR, name), 'utf8')) }));

/** Loads one file; asserts it took bounded time and that every problem says where it is. */
function load(content: string): RuleSetLoad {
  const { value, ms } = timed(() => buildRuleSet([{ name: FILE, content }]));
  assert.ok(ms < CASE_MS, `loading took ${Math.round(ms)} ms`);
  if (value.ok) return value;
  assert.ok(value.errors.length >= 1);
  for (const error of value.errors) {
    const line = formatRuleFileError(error);
    assert.equal(error.file, FILE);
    if (error.line !== undefined) {
      // file:line:col of a syntax error, inside the text.
      assert.match(line, /^hostile\.json:\d+:\d+: JSON syntax error: /);
      assert.ok(error.line >= 1 && error.line <= content.split('\n').length, line);
    } else {
      // Structural problems name the place: the rule and/or a JSON path, or the whole file.
      assert.match(line, /^hostile\.json: /);
      assert.ok(
        error.at !== undefined || error.rule !== undefined || /file|policy/.test(error.message),
        line,
      );
    }
    assert.ok(line.length < 2_000, `a ${line.length}-character problem: ${line.slice(0, 200)}`);
  }
  return value;
}

function problems(content: string): string {
  const loaded = load(content);
  assert.equal(loaded.ok, false, 'the hostile file was accepted');
  return loaded.ok ? '' : loaded.errors.map(formatRuleFileError).join('\n');
}

/** A valid booking policy with one condition leaf replaced. */
function policyWith(condition: unknown, message = 'hostile'): string {
  return JSON.stringify({
    policy: 'hostile',
    appliesTo: 'booking',
    description: 'a hostile policy',
    rules: [
      {
        name: 'r',
        conditions: { all: [condition] },
        event: { type: 'deny', params: { code: 'HOSTILE', message } },
      },
    ],
  });
}

describe('hostile rule files (property-based)', function () {
  this.timeout(120_000);

  it('never throws or hangs on arbitrary text, and places syntax errors at line:column', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json(), hostileString),
        (content) => {
          load(content);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws or hangs on a shipped policy with one value made hostile', () => {
    for (const { name, value } of SHIPPED) {
      fc.assert(
        fc.property(mutate(value), (policy) => {
          let content: string | undefined;
          try {
            content = JSON.stringify(policy);
          } catch {
            return; // nested too deeply for JSON.stringify: the text case below covers it
          }
          if (content !== undefined) load(content);
        }),
        { numRuns: 80 },
      );
      assert.ok(name);
    }
  });

  it('refuses deep nesting in the text and in the conditions, with a place', () => {
    const deepText = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    assert.match(problems(deepText), /^hostile\.json: /);
    // Built as text: JSON.stringify itself cannot nest this deep.
    const leaf = JSON.stringify({
      fact: 'booking',
      path: 'durationHours',
      operator: 'greaterThan',
      value: 1,
    });
    const deep = `${'{"all":['.repeat(20_000)}${leaf}${']}'.repeat(20_000)}`;
    const text = policyWith('DEEP').replace('"DEEP"', deep);
    assert.match(
      problems(text),
      /rule "r" at rules\[0\]\.conditions\.all\[0\](\.all\[0\])+: conditions are nested more than 8 levels deep/,
    );
  });

  it('refuses a fact that is not in the catalog, whatever its name', () => {
    const names = [
      ...PROTO_KEYS,
      'process',
      'require',
      'global',
      'globalThis',
      'eval',
      'Function',
      'this',
      ...SQL_STRINGS,
    ];
    for (const fact of names) {
      const text = problems(policyWith({ fact, operator: 'equal', value: 1 }));
      assert.match(text, /rule "r" at rules\[0\]\.conditions\.all\[0\]\.fact: .*fact/i, `${fact}: ${text}`);
    }
    const catalog = new Set(FACT_CATALOG.map((f) => f.name));
    fc.assert(
      fc.property(hostileString, (fact) => {
        if (catalog.has(fact)) return;
        assert.match(
          problems(policyWith({ fact, operator: 'equal', value: 1 })),
          /conditions\.all\[0\]\.fact: /,
        );
      }),
      { numRuns: 100 },
    );
  });

  it('refuses paths and placeholders that would walk prototypes or run code', () => {
    const paths = [
      '__proto__',
      'durationHours.__proto__',
      'constructor.prototype',
      'durationHours.constructor',
      '$..hours',
      '$[?(@.constructor.constructor("return process")())]',
      "durationHours['x']",
      'durationHours; process.exit(1)',
      'durationHours..x',
      '',
    ];
    for (const p of paths) {
      if (p === '') continue;
      const text = problems(policyWith({ fact: 'booking', path: p, operator: 'equal', value: 1 }));
      assert.match(text, /conditions\.all\[0\]\.path: /, `${p}: ${text}`);
    }
    for (const placeholder of [
      '{{booking.__proto__}}',
      '{{constructor.constructor}}',
      '{{booking.durationHours.constructor}}',
      '{{process.env}}',
    ]) {
      const text = problems(
        policyWith(
          { fact: 'booking', path: 'durationHours', operator: 'greaterThan', value: 1 },
          `x ${placeholder}`,
        ),
      );
      assert.match(text, /rule "r" at rules\[0\]\.event\.params\.message: /, `${placeholder}: ${text}`);
    }
  });
});

describe('the path resolver cannot reach code or prototypes', () => {
  it('has no eval, Function constructor, vm or dynamic require in the rules engine code', () => {
    const dir = path.resolve(__dirname, '../../src/rules');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.includes('path.ts') && files.includes('evaluate.ts'));
    for (const file of files) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      assert.doesNotMatch(
        source,
        /\beval\s*\(|new\s+Function\b|\bFunction\s*\(|node:vm|require\s*\(|import\s*\(/,
        file,
      );
    }
  });

  it('follows own properties only: prototype segments resolve to nothing, in any position', () => {
    const resolver = createPathResolver();
    const value = JSON.parse('{"a": {"__proto__": {"polluted": 1}, "b": 2}, "list": [1, 2]}');
    for (const p of [
      '__proto__',
      'a.__proto__',
      'a.__proto__.polluted',
      'a.constructor',
      'constructor.prototype',
      'list.constructor',
      'a.toString',
      'list.length',
      'a.hasOwnProperty',
    ]) {
      assert.equal(resolver(value, p), undefined, p);
      assert.equal(resolvePath(value, p), undefined, p);
    }
    assert.equal(resolver(value, 'a.b'), 2);
    assert.equal(resolver(value, 'list.1'), 2);
    // JSONPath filters and scripts are not syntax here: nothing is evaluated.
    for (const p of ['$[?(@.a)]', '$..b', '$.a[(@.length-1)]', 'a.b; process.exit(1)']) {
      assert.equal(parsePath(p).ok, false, p);
      assert.equal(resolver(value, p), undefined, p);
    }
  });

  it('evaluates rules over facts holding __proto__ keys without touching Object.prototype', async () => {
    const snapshot = snapshotOf({
      policy: 'p',
      appliesTo: 'booking',
      description: 'd',
      rules: [
        {
          name: 'long',
          conditions: {
            all: [{ fact: 'booking', path: 'durationHours', operator: 'greaterThan', value: 0 }],
          },
          event: { type: 'flag', params: { code: 'LONG', message: '{{booking.durationHours}} hours' } },
        },
      ],
    });
    const facts = cleanBooking();
    const hostile = JSON.parse(
      `{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}`,
    );
    Object.assign(facts.booking as object, hostile);
    const decision = await evaluate(snapshot, 'booking', facts);
    assert.equal(decision.reasons.length, 1);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });
});

describe('rules check on a hostile folder (the real command)', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'provdb-hostile-rules-'));
    await writeFile(path.join(dir, 'broken.json'), '{\n  "policy": "x",\n  "rules": [,]\n}\n');
    await writeFile(
      path.join(dir, 'proto.json'),
      policyWith({ fact: '__proto__', path: 'constructor', operator: 'equal', value: 1 }),
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 naming file:line:col and the rule path of each problem', async () => {
    const bin = path.resolve(__dirname, '../../bin/provdb-worker.cjs');
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'rules', 'check', dir],
        { env: { ...process.env, LOG_LEVEL: 'silent' } },
        (error, out) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: out }),
      );
    });
    assert.equal(code, 2, stdout);
    assert.match(stdout, /^broken\.json:3:13: JSON syntax error: /m);
    assert.match(stdout, /^proto\.json: rule "r" at rules\[0\]\.conditions\.all\[0\]\.fact: /m);
  });
});
