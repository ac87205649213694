/** `provdb-worker rules check|test` as an admin runs them: the real binary, real exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { SHIPPED_RULES_DIR } from '../support/rules';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';

const BIN = path.resolve(__dirname, '../../bin/provdb-worker.cjs');

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, LOG_LEVEL: 'silent' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('cli: rules check / rules test', function () {
  this.timeout(60_000);
  let rules: TempRules;

  beforeEach(async () => {
    rules = await copyShippedRules();
  });
  afterEach(async () => {
    await rules.remove();
  });

  it('rules check exits 0 on the shipped rules', async () => {
    const { code, stdout } = await cli('rules', 'check', SHIPPED_RULES_DIR);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /5 policies, 25 rules, all valid \(revision [0-9a-f]{12}\)/);
  });

  it('rules check exits 2 listing every problem of every file', async () => {
    await rules.write(
      'conflicts.json',
      (await rules.read('conflicts.json')).replace('"rules": [', '"rules": [,'),
    );
    const limits = await rules.read('ownership-limits.json');
    await rules.write(
      'ownership-limits.json',
      limits
        .replace('"fact": "usage"', '"fact": "usages"')
        .replace('"operator": "equal"', '"operator": "equals"'),
    );
    const { code, stdout } = await cli('rules', 'check', rules.dir);
    assert.equal(code, 2, stdout);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0]!, /^conflicts\.json:5:13: JSON syntax error: /);
    assert.ok(
      lines.some((l) =>
        /^ownership-limits\.json: rule "max-active-bookings" at rules\[0\]\.conditions\.all\[0\]\.fact: unknown fact "usages" \(did you mean "usage"\?\)/.test(
          l,
        ),
      ),
    );
    assert.ok(
      lines.some((l) =>
        /^ownership-limits\.json: rule "device-owned-by-another" at rules\[3\]\.conditions\.all\[0\]\.operator: unknown operator "equals"/.test(
          l,
        ),
      ),
    );
    assert.match(lines.at(-1)!, /^3 problem\(s\) in /);

    const json = await cli('rules', 'check', '--json', rules.dir);
    assert.equal(json.code, 2);
    const parsed = JSON.parse(json.stdout) as {
      ok: boolean;
      errors: Array<{ file: string; line?: number; column?: number; message: string }>;
    };
    assert.equal(parsed.ok, false);
    assert.deepEqual(
      [parsed.errors[0]!.file, parsed.errors[0]!.line, parsed.errors[0]!.column],
      ['conflicts.json', 5, 13],
    );
    assert.equal(parsed.errors.length, 3);
  });

  it('rules check exits 2 for a folder that does not exist', async () => {
    const { code, stdout } = await cli('rules', 'check', path.join(rules.dir, 'nope'));
    assert.equal(code, 2);
    assert.match(stdout, /cannot read the rules folder: folder does not exist/);
  });

  it('rules test exits 0 when every shipped case passes and every rule is covered', async () => {
    const { code, stdout } = await cli('rules', 'test', '--require-coverage', SHIPPED_RULES_DIR);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^(\d+)\/\1 cases passed \(revision [0-9a-f]{12}\); 25\/25 rules covered$/m);
  });

  it('rules test exits 1 on a failing case, explaining the conditions', async () => {
    // An edit to a policy that its tests catch: the overlap rule now needs two conflicts.
    const conflicts = await rules.read('conflicts.json');
    await rules.write(
      'conflicts.json',
      conflicts.replace(
        '{ "fact": "conflicts", "path": "count", "operator": "greaterThan", "value": 0 }',
        '{ "fact": "conflicts", "path": "count", "operator": "greaterThan", "value": 1 }',
      ),
    );
    const { code, stdout } = await cli('rules', 'test', rules.dir);
    assert.equal(code, 1, stdout);
    assert.match(
      stdout,
      /^FAIL tests\/conflicts\.json: denies an overlap with a confirmed booking, naming it/m,
    );
    assert.match(stdout, /expected deny \[OVERLAP_CONFIRMED\], got allow \[\]/);
    assert.match(
      stdout,
      /OVERLAP_CONFIRMED did not fire \(conflicts\/overlaps-confirmed-booking\):\n\s+false\s+conflicts\.count \(1\) greaterThan 1/,
    );
  });

  it('rules test reports uncovered rules, and fails on them only when asked', async () => {
    await rm(path.join(rules.dir, 'tests', 'utilization.json'));
    const relaxed = await cli('rules', 'test', rules.dir);
    assert.equal(relaxed.code, 0, relaxed.stdout);
    assert.match(relaxed.stdout, /^not covered: utilization\/hoarding: no case makes it fire$/m);
    const strict = await cli('rules', 'test', '--require-coverage', rules.dir);
    assert.equal(strict.code, 1);
  });

  it('rules test exits 2 on an invalid test file, naming the case and the field', async () => {
    const tests = await rules.read('tests/conflicts.json');
    await rules.write(
      'tests/conflicts.json',
      tests.replace(
        '"facts": { "booking": { "startsInHours": -1 } }',
        '"facts": { "booking": { "startsInHour": -1 } }',
      ),
    );
    const { code, stdout } = await cli('rules', 'test', rules.dir);
    assert.equal(code, 2, stdout);
    assert.match(
      stdout,
      /tests\/conflicts\.json: cases\[4\]\.facts: case "denies a window that started an hour ago": booking: Unrecognized key: "startsInHour"/,
    );
  });
});
