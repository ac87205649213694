/**
 * The shipped policies against their shipped test cases (rules/tests), through the same code as
 * `provdb-worker rules test`: one mocha test per case, and full coverage of every shipped rule.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRuleSet } from '../../src/rules/load';
import {
  type CaseResult,
  coverageGaps,
  explainFailure,
  loadRuleTests,
  type RuleTestReport,
  runRuleTests,
} from '../../src/rules/rule-tests';
import { SHIPPED_RULES_DIR } from '../support/rules';

// Case names are read synchronously so that mocha can list one test per case.
const testsDir = path.join(SHIPPED_RULES_DIR, 'tests');
const suites = readdirSync(testsDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    file: `tests/${file}`,
    names: (JSON.parse(readFileSync(path.join(testsDir, file), 'utf8')).cases as Array<{ name: string }>).map(
      (c) => c.name,
    ),
  }));

describe('shipped policies (rules/tests)', () => {
  let report: RuleTestReport;
  const byName = new Map<string, CaseResult>();

  before(async () => {
    const loaded = await loadRuleSet(SHIPPED_RULES_DIR);
    assert.ok(loaded.ok, 'the shipped rules are valid');
    const tests = await loadRuleTests(SHIPPED_RULES_DIR);
    assert.deepEqual(tests.errors, [], 'the shipped test files are valid');
    report = await runRuleTests(loaded.snapshot, tests.cases);
    for (const r of report.results) byName.set(`${r.case.file}: ${r.case.name}`, r);
  });

  for (const suite of suites) {
    describe(suite.file, () => {
      for (const name of suite.names) {
        it(name, () => {
          const result = byName.get(`${suite.file}: ${name}`);
          assert.ok(result, 'the case ran');
          assert.ok(result.passed, explainFailure(result).join('\n'));
        });
      }
    });
  }

  it('covers every shipped rule: each fires in a case and stays silent in a near miss', () => {
    assert.deepEqual(coverageGaps(report), []);
    assert.equal(report.coverage.length, 25, 'all shipped rules are counted');
  });
});
