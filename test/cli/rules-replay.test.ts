/** `provdb-worker rules replay` as an admin runs it: the real binary, real exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { BookingLab } from '../rules/booking-lab';
import { writeCandidate } from '../rules/candidate';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { SHIPPED_RULES_DIR } from '../support/rules';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';

const BIN = path.resolve(__dirname, '../../bin/provdb-worker.cjs');

describe('cli: rules replay', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let rules: TempRules;
  let fragileLong = '';
  let owned = '';

  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'rules', 'replay', ...args],
        { env: { ...process.env, DATABASE_URL: db.url, RULES_DIR: SHIPPED_RULES_DIR, LOG_LEVEL: 'silent' } },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  before(async () => {
    db = await migratedDatabase();
    rules = await copyShippedRules();
    await writeCandidate(rules);
    // The replay's "now" is the time it runs: the history is placed around the real clock.
    const hour = (n: number) => new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + n * 3_600_000);
    const lab = new BookingLab(db.knex);
    const ava = await lab.user('ava');
    const olga = await lab.user('olga');
    const plain = await lab.device({ inventory: {} });
    const fragile = await lab.device({ inventory: {}, tags: ['fragile'] });
    const ownedDevice = await lab.device({ inventory: {} });
    await lab.owner(ownedDevice, olga);
    await lab.reservation([{ device: plain, user: ava, start: hour(20), end: hour(24) }]);
    fragileLong = (await lab.reservation([{ device: fragile, user: ava, start: hour(30), end: hour(36) }]))
      .group;
    owned = (await lab.reservation([{ device: ownedDevice, user: ava, start: hour(40), end: hour(42) }]))
      .group;
  });
  after(async () => {
    await rules?.remove();
    await db?.drop();
  });

  it('prints the transitions and each reservation that changes, with its reasons', async () => {
    const { code, stdout, stderr } = await cli('--rules', rules.dir);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^replayed 3 reservation\(s\) not over at /);
    assert.match(stdout, /nothing was written/);
    assert.match(stdout, /\nallow -> allow\s+1\n/);
    assert.match(stdout, /\nallow -> deny\s+1\n/);
    assert.match(stdout, /\nrequire_approval -> allow\s+1\n/);
    assert.match(stdout, /\ndeny -> deny\s+0\n/);
    assert.match(stdout, /2 reservation\(s\) change outcome/);
    assert.ok(stdout.includes(`${fragileLong}: allow -> deny`), stdout);
    assert.match(
      stdout,
      /\+ deny FRAGILE_TOO_LONG \(conflicts\/fragile-long-booking\) \[device\(s\) \d+\]: dev-\d+ is fragile/,
    );
    assert.ok(stdout.includes(`${owned}: require_approval -> allow`), stdout);
    assert.match(stdout, /- require_approval OWNER_APPROVAL .*\(approver: device-owner\)/);
    assert.match(stdout, /\+ flag OWNER_APPROVAL /);
    assert.match(stderr, /rules replay: 3\/3 reservation\(s\)/);
  });

  it('--json prints the report as one JSON object', async () => {
    const { code, stdout } = await cli('--rules', rules.dir, '--json');
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.ok, true);
    assert.equal(report.reservations, 3);
    assert.equal(report.transitions['allow->deny'], 1);
    assert.equal(report.outcomeChanges, 2);
    assert.deepEqual(
      report.changes.map((c: { groupedBookingId: string; after: string }) => [c.groupedBookingId, c.after]),
      [
        [fragileLong, 'deny'],
        [owned, 'allow'],
      ],
    );
  });

  it('--since and --until pick the reservations by start', async () => {
    const { code, stdout } = await cli(
      '--rules',
      rules.dir,
      '--json',
      '--since',
      '2020-01-01',
      '--until',
      '2020-02-01',
    );
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).reservations, 0);
  });

  it('exits 2 with every problem of an invalid candidate, as rules check does', async () => {
    await rules.write('broken.json', '{ "policy": "broken", ');
    const limits = await rules.read('ownership-limits.json');
    await rules.write('ownership-limits.json', limits.replace('"fact": "usage"', '"fact": "usages"'));
    const { code, stdout } = await cli('--rules', rules.dir);
    assert.equal(code, 2, stdout);
    assert.match(stdout, /^broken\.json:1:\d+: JSON syntax error: /m);
    assert.match(stdout, /ownership-limits\.json: rule "max-active-bookings" .*unknown fact "usages"/);
    assert.match(stdout, /2 problem\(s\) in the candidate rules, .*: nothing was replayed/);
  });

  it('exits 2 on a bad date', async () => {
    const { code, stderr } = await cli('--rules', SHIPPED_RULES_DIR, '--since', 'yesterday');
    assert.equal(code, 2);
    assert.match(stderr, /rules replay: --since "yesterday" is not a date/);
  });
});
