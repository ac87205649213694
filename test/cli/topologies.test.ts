/** `provdb-worker topologies reindex|review` as an admin runs them: the real binary and exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';
import { Lab, node } from '../topologies/lab';

const BIN = path.resolve(__dirname, '../../bin/provdb-worker.cjs');

function cli(db: TestDatabase, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'topologies', ...args],
      { env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('provdb-worker topologies', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let lab: Lab;
  let author: number;

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    author = await lab.user('author');
  });
  after(() => db?.drop());

  const indexed = async () =>
    (
      await db
        .knex('topology_devices')
        .orderBy(['topology_id', 'device_id'])
        .select('topology_id', 'device_id')
    ).map((r: { topology_id: number; device_id: number }) => [r.topology_id, r.device_id]);

  it('reindex builds topology_devices for every topology, by id and by polatis name, in chunks', async () => {
    const a = await lab.device();
    const b = await lab.device();
    const t1 = await lab.topology(author, [node('a', a.id), node('b', { polatisName: b.polatisName })], []);
    const t2 = await lab.topology(author, [node('x', b.id), node('y', 999_999)], []);
    const t3 = await lab.topology(author, '"not a list"', []);
    // A stale row for a device t1 no longer names is replaced.
    await db.knex('topology_devices').insert({ topology_id: t1, device_id: 999_999 });

    const run = await cli(db, ['reindex', '--chunk-size', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^topologies reindex: 3 topologies indexed, 4 rows in topology_devices, /);
    assert.match(run.stderr, /2 topologies, 4 rows \(up to topology \d+\)\n.*3 topologies, 4 rows/);
    assert.deepEqual(await indexed(), [
      [t1, a.id],
      [t1, b.id],
      [t2, b.id],
      [t2, 999_999],
    ]);
    assert.ok(t3 > t2);

    const again = await cli(db, ['reindex']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await indexed()).length, 4, 'rerunning writes the same rows');
  });

  describe('review', () => {
    let rules: TempRules;
    before(async () => {
      rules = await copyShippedRules();
    });
    after(() => rules?.remove());

    it('reviews a topology now, records it and prints each finding with the policy code and approver', async () => {
      const owner = await lab.user('owner');
      const mine = await lab.device();
      const theirs = await lab.device();
      await db.knex('device_ownership').insert({
        device_id: theirs.id,
        owner_id: owner,
        assigned_by: null,
        assigned_at: '2026-01-01T00:00:00Z',
        revoked_at: null,
      });
      const id = await lab.topology(
        author,
        [node('a', mine.id), node('b', theirs.id), node('c', 888_888)],
        [],
      );

      const dry = await cli(db, ['review', String(id), '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, new RegExp(`^topology ${id}: conflicts \\(dry run: nothing written\\)$`, 'm'));
      assert.match(dry.stdout, /^ {2}error {3}unknown_device {9}\(node "c", device 888888\) /m);
      assert.match(
        dry.stdout,
        /^ {2}warning policy {17}Topology topology-\d+ uses 1 device\(s\) owned by other users \(\d+\): their owners must agree\. \[TOPOLOGY_OWNED_DEVICES, approver: device-owner\]$/m,
      );
      assert.match(dry.stdout, /^notes: Conflicts \(1 error, 1 warning/m);
      assert.equal(await lab.review(id), undefined, 'a dry run writes nothing');

      const run = await cli(db, ['review', String(id), '--json', '--rules', rules.dir]);
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      const review = await lab.review(id);
      assert.equal(out.outcome, 'conflicts');
      assert.equal(out.written, true);
      assert.equal(out.review.reviewId, review.id);
      assert.equal(review.status, 'conflicts');
      assert.equal(review.conflict_count, 1);
      assert.match(out.revision, /^[0-9a-f]{12}$/);
      assert.deepEqual(
        out.findings.map((f: { kind: string; detail: { code?: string } }) => f.detail.code ?? f.kind),
        ['unknown_device', 'device_not_booked', 'TOPOLOGY_OWNED_DEVICES', 'TOPOLOGY_UNKNOWN_NODES'],
      );
      assert.deepEqual(await lab.kinds(id), [
        'device_not_booked:info',
        'policy:info',
        'policy:warning',
        'unknown_device:error',
      ]);
      const audit = await db
        .knex('admin_audit_log')
        .where({ entity_id: String(review.id) })
        .first();
      assert.equal(audit.payload.trigger.job, 'cli: topologies review');
    });

    it('keeps a resolved review’s status and says so', async () => {
      const d = await lab.device();
      const id = await lab.topology(author, [node('a', 777_777), node('b', d.id)], []);
      assert.equal((await cli(db, ['review', String(id)])).code, 0);
      await db
        .knex('topology_review')
        .where({ topology_id: id })
        .update({ status: 'approved', resolved_at: '2026-11-20T09:00:00Z', resolved_by: author });
      const run = await cli(db, ['review', String(id)]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        /: conflicts \(written to review \d+; status kept as "approved" \(resolved by a person\)\)/,
      );
      assert.equal((await lab.review(id)).status, 'approved');
    });

    it('exits 2 naming the problem: a topology that does not exist, an id that is not one, invalid rules', async () => {
      const missing = await cli(db, ['review', '2000000000']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /topologies review: topology 2000000000 does not exist/);

      const bad = await cli(db, ['review', '12x']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /topologies: <id> "12x" must be a whole number from 1 to 2147483647/);

      await rules.write('topology-limits.json', '{ "policy": ');
      const invalid = await cli(db, ['review', '1', '--rules', rules.dir]);
      assert.equal(invalid.code, 2);
      assert.match(invalid.stderr, /^topology-limits\.json:.*JSON/m);
      assert.match(invalid.stderr, /topologies review: 1 problem\(s\) in /);

      const chunk = await cli(db, ['reindex', '--chunk-size', '0']);
      assert.equal(chunk.code, 2);
      assert.match(chunk.stderr, /--chunk-size "0" must be a whole number from 1 to 10000/);
    });
  });
});
