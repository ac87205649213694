/**
 * Redis killed (SIGKILL) under a steady stream of booking events and started again empty (no
 * persistence): every job it held is gone, and so are the events it refused while down. The
 * scheduler sends all of them again with their own eventIds; the same two worker processes
 * reconnect by themselves and run each event's effect exactly once, skipping those that had
 * committed before the crash.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultLab } from '../support/fault-lab';
import { waitUntil } from '../support/runtime';

describe('fault: Redis killed and restarted empty', function () {
  this.timeout(120_000);
  this.slow(20_000);
  let lab: FaultLab | undefined;

  before(async () => {
    lab = await FaultLab.start();
  });
  after(async () => {
    await lab?.close();
  });

  it('runs every event the scheduler sends again exactly once, with the same two workers', async () => {
    if (!lab) throw new Error('the fault lab did not start');
    const faults = lab;
    const workers = [await lab.startWorker(), await lab.startWorker()];
    const stream = lab.stream(20).start();
    const committed = (ids: readonly string[]) => faults.committed(ids);
    await waitUntil('events to commit before the crash', async () => {
      return (await committed(stream.enqueued().map((e) => e.eventId))).size >= 20;
    });

    await lab.redis.kill();
    await sleep(1_500);
    await lab.redis.restart();
    const restartedAt = Date.now();
    await waitUntil(
      'the scheduler to enqueue again after the restart',
      () => stream.sent.some((e) => e.at >= restartedAt && e.enqueued),
      20_000,
    );
    await sleep(1_000);
    await stream.stop();

    const beforeRestart = stream.sent.filter((e) => e.at < restartedAt);
    const refused = beforeRestart.filter((e) => !e.enqueued);
    assert.ok(refused.length > 0, 'no enqueue was refused while Redis was down');
    // What committed before the crash (and in the jobs that were running when it struck).
    await sleep(500);
    const doneBefore = await committed(beforeRestart.map((e) => e.eventId));
    assert.ok(doneBefore.size >= 20);

    // The scheduler sends again everything it sent before the restart, lost or not, and what
    // Redis refused while its connection was coming back.
    await stream.resend(stream.sent.filter((e) => e.at < restartedAt || !e.enqueued));
    await lab.waitForEvents('after the resend', stream.sent);
    const completed = await lab.assertQueueSettled();
    // Every job of the new Redis ran: the resent ones and those sent after the restart.
    assert.equal(completed, stream.sent.length);
    await lab.assertExactlyOnce(stream.sent);

    // Events that had committed before the crash were recognised, not run again.
    const duplicates = new Set(
      workers.flatMap((w) => w.logs.filter((l) => l.outcome === 'duplicate').map((l) => String(l.eventId))),
    );
    const notSkipped = [...doneBefore].filter((id) => !duplicates.has(id));
    assert.deepEqual(notSkipped, [], 'events committed before the crash were not reported as duplicates');

    for (const [i, worker] of workers.entries()) {
      await lab.assertWorkerAlive(worker, restartedAt, `worker ${i + 1}`);
      // The operator sees the loss once and the recovery once, not a line per reconnect attempt.
      const lost = worker.logs.filter((l) => /^Redis connection lost \(.*\): reconnecting$/.test(l.msg));
      const restored = worker.logs.filter((l) => l.msg === 'Redis connection restored');
      assert.deepEqual(
        [lost.length, restored.length],
        [1, 1],
        `worker ${i + 1}: ${lost.length} loss and ${restored.length} recovery lines`,
      );
      // The queue's worker says it is back too, once.
      const back = worker.logs.filter((l) => l.msg === 'worker bookings: connected again');
      assert.equal(back.length, 1, `worker ${i + 1}: ${back.length} "connected again" lines`);
    }
  });
});
