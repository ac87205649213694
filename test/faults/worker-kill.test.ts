/**
 * One of two worker processes SIGKILLed mid-burst: its open transactions roll back when its
 * connections drop, its jobs stay active in Redis until their locks expire, then the other
 * worker's stalled-job check puts them back and runs them. Each event commits exactly once.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultLab } from '../support/fault-lab';
import { waitUntil } from '../support/runtime';

describe('fault: a worker SIGKILLed mid-burst', function () {
  this.timeout(120_000);
  this.slow(20_000);
  let lab: FaultLab | undefined;

  before(async () => {
    lab = await FaultLab.start();
  });
  after(async () => {
    await lab?.close();
  });

  it("runs the killed worker's jobs in the other worker after their locks expire, each once", async () => {
    if (!lab) throw new Error('the fault lab did not start');
    const currentLab = lab;
    // 200 ms per event inside its transaction: four jobs in flight per worker at any time.
    const options = { sleepMs: 200, lockMs: 2_000 };
    const [victim, survivor] = [await lab.startWorker(options), await lab.startWorker(options)];
    if (!victim || !survivor) throw new Error('workers did not start');
    const stream = lab.stream(30).start();
    await victim.waitForLog(
      'of a few completed jobs',
      () => victim.logs.filter((l) => l.outcome === 'completed').length >= 5,
    );
    await waitUntil('jobs in flight', async () => (await currentLab.queue.getActiveCount()) >= 4);

    victim.kill('SIGKILL');
    assert.equal((await victim.exited).signal, 'SIGKILL');
    const killedAt = Date.now();
    const victimDone = new Set(
      victim.logs.filter((l) => l.outcome === 'completed').map((l) => String(l.eventId)),
    );
    await sleep(2_000);
    await stream.stop();

    assert.deepEqual(
      stream.sent.filter((e) => !e.enqueued).map((e) => e.error),
      [],
    );
    await lab.waitForEvents('after the kill', stream.sent);
    const completed = await lab.assertQueueSettled();
    assert.equal(completed, stream.sent.length);
    await lab.assertExactlyOnce(stream.sent);

    // The killed worker's jobs were found stalled and run by the survivor.
    const stalled = survivor.logs.filter((l) =>
      /stalled \(its worker stopped renewing its lock\)/.test(l.msg),
    );
    assert.ok(stalled.length > 0, 'the survivor reported no stalled job');
    const rerun = stalled.map((l) => String(l.jobId));
    assert.deepEqual(
      rerun.filter((id) => victimDone.has(id)),
      [],
      'a job the killed worker had completed was reported stalled',
    );
    await lab.assertWorkerAlive(survivor, killedAt, 'the surviving worker');
  });
});
