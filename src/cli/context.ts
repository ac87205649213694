/**
 * What a CLI command runs with: configuration read once, connections opened on first use and
 * closed when the command ends (whatever happens), and the exit-code conventions.
 */
import type { Knex } from 'knex';
import { type Config, ConfigError, loadConfig, redactUrl } from '../config';
import { createKnex } from '../db/knex';
import { createLogger, type Logger } from '../logger';

function knexWarning(message: unknown): void {
  const text = String(message);
  if (text.startsWith('Acquire connection error')) return;
  process.stderr.write(`warning: ${text.split('\n')[0]}\n`);
}

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

  /** Whether the command opened the database (so a connection error is about Postgres). */
  get usedDatabase(): boolean {
    return this.knexInstance !== undefined;
  }

  get knex(): Knex {
    this.knexInstance ??= createKnex(this.config.databaseUrl, {
      applicationName: 'provdb-worker-cli',
      // knex prints each failed connection attempt with its stack; the command reports the
      // failure once, naming the server (see postgresFailure). Other warnings: one line each.
      log: { warn: knexWarning, error: knexWarning, deprecate: knexWarning, debug: () => undefined },
    });
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
      code = reportError(ctx ? postgresFailure(ctx, error) : error);
    } finally {
      await ctx?.close();
    }
    process.exitCode = code;
  };
}

/** SQLSTATEs of a server that answered but refused the connection (no such database, role, password). */
const REFUSED_SQLSTATES = new Set(['3D000', '28000', '28P01', '57P03', '53300']);
/** Socket errors of a server that could not be reached at all. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function connectionFailure(error: unknown): 'refused' | 'unreachable' | undefined {
  for (let e = error, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth += 1) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && REFUSED_SQLSTATES.has(code)) return 'refused';
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08')))
      return 'unreachable';
    if (name === 'KnexTimeoutError') return 'unreachable';
    if (typeof message === 'string' && /^Connection terminated/.test(message)) return 'unreachable';
    // Node reports a refused connection to several addresses as an AggregateError.
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((x) => connectionFailure(x) === 'unreachable'))
      return 'unreachable';
  }
  return undefined;
}

/**
 * A failure to connect to Postgres, as "Postgres at <URL without password> is not reachable" (or
 * "refused the connection"), the cause on the next line; any other error as it is.
 */
export function postgresFailure(ctx: CliContext, error: unknown): unknown {
  if (!ctx.usedDatabase || error instanceof ConfigError || error instanceof UsageError) return error;
  const message = (error as Error)?.message ?? '';
  if (message.startsWith('Redis at ')) return error;
  const failure = connectionFailure(error);
  if (!failure) return error;
  const what = failure === 'refused' ? 'refused the connection' : 'is not reachable';
  return new Error(`Postgres at ${redactUrl(ctx.config.databaseUrl)} ${what}`, { cause: error });
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
