/**
 * Start-up against services that may not be there yet (a database restarting, containers
 * starting in any order): retry with backoff and one clear log line per attempt, instead of
 * crashing and being restarted in a loop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logger';

export interface WaitOptions {
  readonly logger: Logger;
  /** Aborting (shutdown requested while waiting) rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Calls `check` until it resolves. `what` names the service and where it is, with no password
 * (e.g. `Postgres at postgres://app:***@db:5432/provdb`).
 */
export async function waitFor(what: string, check: () => Promise<void>, options: WaitOptions): Promise<void> {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      await check();
      if (attempt > 1) options.logger.info({ service: what, attempts: attempt }, `${what} is reachable now`);
      return;
    } catch (error) {
      options.signal?.throwIfAborted();
      const delayMs = Math.min(initial * 2 ** (attempt - 1), max);
      options.logger.warn(
        { service: what, attempt, retryInMs: delayMs, err: (error as Error).message },
        `${what} is not reachable (${(error as Error).message}): retrying in ${delayMs} ms (attempt ${attempt})`,
      );
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch (error) {
        options.signal?.throwIfAborted(); // with the reason given to abort(), e.g. "shutting down"
        throw error;
      }
    }
  }
}
