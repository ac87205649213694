/**
 * Postgres stopped with `pg_ctl stop -m immediate` (a crash: no checkpoint, open transactions
 * gone) for a few seconds under a steady stream of booking events, then started again. Jobs
 * that run meanwhile fail with connection errors and are retried with backoff; the transactions
 * that were open roll back. Once Postgres is back the same two workers commit every event
 * exactly once; nothing fails and nothing stays active.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultLab } from '../support/fault-lab';
import { waitUntil } from '../support/runtime';

describe('fault: Postgres stopped (immediate) and started again', function () {
  this.timeout(120_000);
  this.slow(20_000);
  let lab: FaultLab | undefined;

  before(async () => {
    lab = await FaultLab.start();
  });
  after(async () => {
    await lab?.close();
  });

  it('commits every event exactly once after the restart, with the same two workers', async () => {
    if (!lab) throw new Error('the fault lab did not start');
    const faults = lab;
    // Jobs spend 50 ms in their transaction: some are open when Postgres goes away.
    const workers = [await lab.startWorker({ sleepMs: 50 }), await lab.startWorker({ sleepMs: 50 })];
    const stream = lab.stream(20).start();
    await waitUntil(
      'events to commit before the crash',
      async () => (await faults.committed(stream.enqueued().map((e) => e.eventId))).size >= 20,
    );

    await lab.pg.stopServer('immediate');
    const stoppedAt = Date.now();
    await sleep(3_000);
    await lab.pg.startServer();
    const restartedAt = Date.now();
    await sleep(1_500);
    await stream.stop();

    // Redis stayed up: every event was accepted, including those sent while Postgres was down.
    assert.deepEqual(
      stream.sent.filter((e) => !e.enqueued).map((e) => e.error),
      [],
      'an enqueue failed while only Postgres was down',
    );
    const duringOutage = stream.sent.filter((e) => e.at >= stoppedAt && e.at < restartedAt);
    assert.ok(duringOutage.length > 50, `only ${duringOutage.length} events were sent during the outage`);

    await lab.waitForEvents('after the restart', stream.sent);
    const completed = await lab.assertQueueSettled();
    assert.equal(completed, stream.sent.length);
    await lab.assertExactlyOnce(stream.sent);

    // The outage was felt (jobs retried as transient failures) and ridden out.
    const retries = workers.flatMap((w) => w.logs.filter((l) => l.outcome === 'retry'));
    assert.ok(retries.length > 0, 'no job was retried while Postgres was down');
    assert.deepEqual([...new Set(retries.map((l) => l.kind))], ['transient']);
    for (const [i, worker] of workers.entries()) {
      await lab.assertWorkerAlive(worker, restartedAt, `worker ${i + 1}`);
    }
  });
});
