// scripts/audit-check.ts against recorded `npm audit --omit=dev --json` outputs: an advisory
// fails CI naming the package, none passes, an unavailable audit service warns and goes on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkAudit, report } from '../../scripts/audit-check';

const sample = (name: string) => readFileSync(path.join(__dirname, 'audit', name), 'utf8');

describe('audit check (scripts/audit-check.ts)', () => {
  it('fails on high advisories, naming each package, its advisory and its fix', () => {
    const verdict = checkAudit(sample('high.json'));
    assert.equal(verdict.kind, 'vulnerable');
    const { lines, exitCode } = report(verdict);
    assert.equal(exitCode, 1);
    assert.equal(
      lines[0],
      'npm audit --omit=dev: 2 runtime package(s) with a high or critical advisory: braces, micromatch',
    );
    assert.ok(
      lines.includes(
        '  braces (high): Uncontrolled resource consumption in braces (https://github.com/advisories/GHSA-grv7-fg5c-xmjg), affected <3.0.3; fix available (npm audit fix)',
      ),
      lines.join('\n'),
    );
    assert.ok(
      lines.includes('  micromatch (high): through braces; fix available (npm audit fix)'),
      lines.join('\n'),
    );
    // The low one is listed after, not counted as fatal.
    assert.match(
      lines.at(-1) ?? '',
      /^ {2}cookie \(low\): .*fix available: cookie@0\.7\.2 \(semver-major\)$/,
    );
  });

  it('passes when there is no advisory, and when only low or moderate ones remain', () => {
    assert.deepEqual(report(checkAudit(sample('none.json'))), {
      lines: ['npm audit --omit=dev: no high or critical advisory in the runtime dependencies'],
      exitCode: 0,
    });
    const onlyLow = JSON.parse(sample('high.json'));
    delete onlyLow.vulnerabilities.braces;
    delete onlyLow.vulnerabilities.micromatch;
    const { lines, exitCode } = report(checkAudit(JSON.stringify(onlyLow)));
    assert.equal(exitCode, 0);
    assert.deepEqual(lines.slice(1, 2), ['lower advisories (not fatal):']);
  });

  it('fails on a critical advisory of a direct dependency', () => {
    const critical = JSON.parse(sample('high.json'));
    critical.vulnerabilities = {
      pg: { ...critical.vulnerabilities.braces, name: 'pg', severity: 'critical', isDirect: true },
    };
    const { lines, exitCode } = report(checkAudit(JSON.stringify(critical)));
    assert.equal(exitCode, 1);
    assert.match(lines[0] ?? '', /1 runtime package\(s\) with a high or critical advisory: pg$/);
  });

  it('warns and goes on when the audit service answers 405 (recorded in this sandbox)', () => {
    const verdict = checkAudit(sample('unavailable-405.json'));
    assert.deepEqual(verdict, {
      kind: 'unavailable',
      reason: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    });
    const { lines, exitCode } = report(verdict);
    assert.equal(exitCode, 0);
    assert.match(
      lines[0] ?? '',
      /^WARNING: npm audit could not reach the advisory service \(405 Method Not Allowed/,
    );
    assert.match(lines[1] ?? '', /NOT checked/);
  });

  it('warns and goes on without network', () => {
    const verdict = checkAudit(sample('no-network.json'));
    assert.equal(verdict.kind, 'unavailable');
    assert.match((verdict as { reason: string }).reason, /ENOTFOUND registry\.npmjs\.org/);
  });

  it('fails loudly on output it does not recognise, never passing silently', () => {
    for (const text of ['', 'npm ERR! something', '[]', '{"auditReportVersion": 2}']) {
      const { exitCode, lines } = report(checkAudit(text));
      assert.equal(exitCode, 2, text);
      assert.match(lines[0] ?? '', /^npm audit --omit=dev: /);
    }
  });
});
