/**
 * Runs the worker until a signal asks it to stop: the body of `provdb-worker start`.
 *
 * SIGTERM or SIGINT: stop fetching, let active jobs finish (up to SHUTDOWN_TIMEOUT_MS), close
 * everything, exit 0. The same signal again, or the deadline passing: stop waiting for active
 * jobs and end the process at once with exit code 1 (their transactions roll back, their locks
 * expire, and another worker runs them again). SIGHUP: reload the rules (RULES_DIR), as a
 * change of its files does. Ends the process: for `start` and its tests.
 */
import type { App, StartOptions } from './app';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Resolves with the process exit code once the app has stopped. */
export async function runUntilSignal(app: App, options: StartOptions = {}): Promise<number> {
  const { logger } = app.deps;
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received += 1;
    if (received === 1) {
      logger.info(
        { signal },
        `${signal} received: stopping (active jobs get ${app.deps.config.shutdownTimeoutMs} ms to finish; send ${signal} again to force)`,
      );
      void app.close();
    } else {
      logger.warn({ signal }, `${signal} received again: forcing shutdown`);
      void app.close({ force: true });
    }
  };
  const onHangUp = () => {
    logger.info({ signal: 'SIGHUP' }, 'SIGHUP received: reloading the rules');
    app.deps.rules.reload('SIGHUP').catch(() => undefined);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('SIGHUP', onHangUp);
  try {
    try {
      await app.start(options);
    } catch (error) {
      if (received === 0) {
        logger.fatal(
          { err: (error as Error).message },
          `provdb-worker could not start: ${(error as Error).message}`,
        );
        await app.close();
        return 1;
      }
      // Start-up was interrupted by the shutdown a signal asked for: not a failure.
    }
    const report = await app.closed;
    const code = report.forced || report.errors.length > 0 ? 1 : 0;
    if (report.forced) {
      // Abandoned jobs still hold database connections and transactions: end the process now,
      // which closes them (Postgres rolls the transactions back) so another worker can redo them.
      process.exit(code);
    }
    // Everything is closed; a stray handle of a library must not keep the process alive.
    setTimeout(() => process.exit(code), 2_000).unref();
    return code;
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('SIGHUP', onHangUp);
  }
}
