/**
 * The rules folder broken mid-burst: an admin's editor leaves a policy file half-written (or
 * someone copies a bad file in). Each worker logs the failed reload and keeps the last good rule
 * set: the bookings sent after the break are decided with the old revision, nothing fails, and
 * every event commits exactly once.
 */

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultLab } from '../support/fault-lab';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';

describe('fault: the rules folder broken mid-burst', function () {
  this.timeout(120_000);
  this.slow(20_000);
  let lab: FaultLab | undefined;
  let rules: TempRules | undefined;

  before(async () => {
    rules = await copyShippedRules();
    lab = await FaultLab.start();
  });
  after(async () => {
    await lab?.close();
    await rules?.remove();
  });

  it('keeps processing every event exactly once with the last good rules', async () => {
    if (!lab || !rules) throw new Error('the fault lab did not start');
    const env = { RULES_DIR: rules.dir };
    const workers = [await lab.startWorker({ env }), await lab.startWorker({ env })];
    const revisions = workers.map((w) => w.logs.find((l) => l.msg === 'rules loaded')?.revision);
    const revision = revisions[0];
    assert.ok(typeof revision === 'string', 'the workers did not log the revision they loaded');
    assert.deepEqual(revisions, [revision, revision]);
    const stream = lab.stream(20).start();
    await sleep(1_000);

    // Half a file, as an editor's interrupted save leaves it.
    const conflicts = await rules.read('conflicts.json');
    await rules.write('conflicts.json', conflicts.slice(0, Math.floor(conflicts.length / 2)));
    const brokenAt = Date.now();
    for (const [i, worker] of workers.entries()) {
      const failed = await worker.waitForLog(`worker ${i + 1}: about the failed reload`, (l) =>
        /^rules reload failed \(\d+ problem\(s\)\); keeping revision /.test(l.msg),
      );
      assert.equal(failed.keptRevision, revision);
      assert.match(String(failed.errors), /conflicts\.json/);
    }
    await sleep(2_000);
    await stream.stop();

    assert.deepEqual(
      stream.sent.filter((e) => !e.enqueued).map((e) => e.error),
      [],
    );
    const afterBreak = stream.sent.filter((e) => e.at >= brokenAt);
    assert.ok(afterBreak.length > 20, `only ${afterBreak.length} events were sent after the break`);
    await lab.waitForEvents('after the break', stream.sent);
    const completed = await lab.assertQueueSettled();
    assert.equal(completed, stream.sent.length);
    await lab.assertExactlyOnce(stream.sent);
    // Decided with the last good rules.
    const decided = await lab
      .knex('booking_decisions')
      .whereIn(
        'event_id',
        afterBreak.map((e) => e.eventId),
      )
      .distinct<Array<{ ruleset_revision: string }>>('ruleset_revision');
    assert.deepEqual(
      decided.map((d) => d.ruleset_revision),
      [revision],
    );
    for (const [i, worker] of workers.entries()) {
      await lab.assertWorkerAlive(worker, brokenAt, `worker ${i + 1}`);
    }
  });
});
