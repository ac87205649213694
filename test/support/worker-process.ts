/**
 * A worker process for tests. It runs exactly what `provdb-worker start` runs (createApp and
 * runUntilSignal, from the environment's configuration), with the test handler module instead
 * of src/handlers.ts and shorter lock timings, so that the tests can kill it and watch another
 * worker recover its jobs. Nothing of this ships in the product's code paths.
 *
 * Environment, besides provdb-worker's own (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, ...):
 * - TEST_HANDLER_SLEEP_MS: time each job spends inside its transaction;
 * - TEST_LOCK_MS: job lock duration (a dead worker's jobs are recovered after about this long);
 * - TEST_HANDLERS=shipped: the shipped handler modules (src/handlers.ts) run first, then the
 *   test effect for booking.created and booking.updated, all in the event's one transaction
 *   (fault tests and the soak count effects with it).
 */
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { HANDLER_MODULES } from '../../src/handlers';
import { runUntilSignal } from '../../src/run';
import { auditModule } from './runtime';

async function main(): Promise<void> {
  const lockMs = Number(process.env.TEST_LOCK_MS ?? 30_000);
  const sleepMs = Number(process.env.TEST_HANDLER_SLEEP_MS ?? 0);
  const handlerModules =
    process.env.TEST_HANDLERS === 'shipped'
      ? [
          ...HANDLER_MODULES,
          auditModule({ jobs: ['booking.created', 'booking.updated'], name: 'effect', sleepMs }),
        ]
      : [auditModule({ jobs: ['booking.created'], sleepMs })];
  const app = await createApp(loadConfig(), {
    handlerModules,
    tuning: {
      lockDurationMs: lockMs,
      stalledIntervalMs: Math.max(250, lockMs / 2),
      startupRetryInitialMs: 200,
      startupRetryMaxMs: 1_000,
    },
  });
  process.exitCode = await runUntilSignal(app, { queues: ['bookings'] });
}

main().catch((error: unknown) => {
  process.stderr.write(`worker-process: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
