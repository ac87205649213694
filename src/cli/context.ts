/**
 * What a CLI command runs with: configuration read once, connections opened on first use and
 * closed when the command ends (whatever happens), and the exit-code conventions.
 */
import type { Knex } from 'knex';
import { type Config, ConfigError, loadConfig } from '../config';
import { createKnex } from '../db/knex';
import { createLogger, type Logger } from '../logger';

/** Exit codes: 0 done, 1 failed, 2 bad input (argument, payload, file). */
export const EXIT = Object.freeze({ ok: 0, failed: 1, badInput: 2 });

/** An error caused by what the user typed or supplied; the CLI prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export class CliContext {
  private knexInstance: Knex | undefined;
  private loggerInstance: Logger | undefined;
  private readonly closers: Array<() => Promise<void>> = [];
  readonly config: Config;

  constructor(config?: Config) {
    this.config = config ?? loadConfig();
  }

  get knex(): Knex {
    this.knexInstance ??= createKnex(this.config.databaseUrl, { applicationName: 'provdb-worker-cli' });
    return this.knexInstance;
  }

  get logger(): Logger {
    this.loggerInstance ??= createLogger(this.config.logLevel);
    return this.loggerInstance;
  }

  /** Registers a cleanup that runs when the command ends (last registered runs first). */
  onClose(fn: () => Promise<void>): void {
    this.closers.unshift(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.splice(0)) {
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`warning: cleanup failed: ${(error as Error).message}\n`);
      }
    }
    await this.knexInstance?.destroy();
    this.knexInstance = undefined;
  }
}

/** Wraps a command action: builds the context, maps errors to exit codes, always cleans up. */
export function action<A extends unknown[]>(
  fn: (ctx: CliContext, ...args: A) => Promise<number | undefined>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let ctx: CliContext | undefined;
    let code: number = EXIT.ok;
    try {
      ctx = new CliContext();
      code = (await fn(ctx, ...args)) ?? EXIT.ok;
    } catch (error) {
      code = reportError(error);
    } finally {
      await ctx?.close();
    }
    process.exitCode = code;
  };
}

export function reportError(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`provdb-worker: ${error.message}\n`);
    return EXIT.badInput;
  }
  const err = error as Error;
  process.stderr.write(`provdb-worker: ${err.message ?? String(error)}\n`);
  if (err.cause) process.stderr.write(`  caused by: ${(err.cause as Error).message ?? String(err.cause)}\n`);
  return EXIT.failed;
}
