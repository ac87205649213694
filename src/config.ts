/**
 * Environment -> typed, frozen configuration. Every default lives here, in one literal, and
 * every value is validated at start-up: a bad value fails with a message naming the variable
 * and the value, so an operator never has to guess which setting is wrong.
 */
import path from 'node:path';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** Postgres connection string of the provdb database. */
  readonly databaseUrl: string;
  /** Redis connection string used by BullMQ. */
  readonly redisUrl: string;
  /** Absolute path of the folder holding the admins' policy files. */
  readonly rulesDir: string;
  /** BullMQ key prefix; use a hash tag such as `{provdb}` on Redis Cluster. */
  readonly queuePrefix: string;
  /** Interface the HTTP server (/metrics, /healthz, /readyz) binds to. */
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly logLevel: LogLevel;
  /** Transactions (jobs, or batches of jobs) processed at once per queue by one worker process. */
  readonly workerConcurrency: number;
  /**
   * The most events of one job name processed together in one transaction, for the jobs whose
   * handlers can (booking.created, booking.updated, booking.reevaluate); 1 processes every event
   * alone.
   */
  readonly workerBatchSize: number;
  /** How long shutdown waits for active jobs before forcing, in milliseconds. */
  readonly shutdownTimeoutMs: number;
  /** How often the rollup reconciliation job runs (a job scheduler on the maintenance queue). */
  readonly rollupReconcileIntervalMs: number;
  /** How far back each reconciliation recomputes the rollups, in hours. */
  readonly rollupReconcileLookbackHours: number;
  /** How often a worker re-reads the utilization and rollup-lag gauges from Postgres. */
  readonly metricsUtilizationIntervalMs: number;
}

export const DEFAULTS = Object.freeze({
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/provdb',
  REDIS_URL: 'redis://127.0.0.1:6379',
  RULES_DIR: 'rules',
  QUEUE_PREFIX: 'provdb',
  METRICS_HOST: '127.0.0.1',
  METRICS_PORT: '9464',
  LOG_LEVEL: 'info',
  WORKER_CONCURRENCY: '4',
  WORKER_BATCH_SIZE: '128',
  SHUTDOWN_TIMEOUT_MS: '30000',
  ROLLUP_RECONCILE_INTERVAL: '15m',
  ROLLUP_RECONCILE_LOOKBACK_HOURS: '48',
  METRICS_UTILIZATION_INTERVAL: '60s',
});

export type Env = Readonly<Record<string, string | undefined>>;

/** Thrown for a configuration value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly value: string,
    reason: string,
  ) {
    super(`${variable}=${JSON.stringify(redactUrl(value))} is invalid: ${reason}`);
  }
}

/**
 * Replaces the password of a URL with `***`, so connection strings can be logged. A value that
 * does not parse as a URL (a `#` or a space in the password, a bad port) is redacted from its
 * shape: everything between `scheme://user:` and the last `@` of the authority.
 */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    if (url.password || url.username) return url.toString();
  } catch {
    // falls through to the textual redaction
  }
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[\s\S]*@/i, '$1***@');
}

function read(env: Env, name: keyof typeof DEFAULTS): string {
  const raw = env[name];
  // An empty variable means "not set" (as in `FOO= command`), not "set to nothing".
  return raw === undefined || raw.trim() === '' ? DEFAULTS[name] : raw.trim();
}

function url(env: Env, name: 'DATABASE_URL' | 'REDIS_URL', protocols: readonly string[]): string {
  const value = read(env, name);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, value, `not a URL (expected ${protocols[0]}//host:port/...)`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, value, `protocol must be one of ${protocols.join(', ')}`);
  }
  if (!parsed.hostname) throw new ConfigError(name, value, 'has no host');
  return value;
}

function integer(env: Env, name: keyof typeof DEFAULTS, min: number, max: number): number {
  const value = read(env, name);
  if (!/^\d+$/.test(value))
    throw new ConfigError(name, value, `must be a whole number from ${min} to ${max}`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(name, value, `must be from ${min} to ${max}`);
  return n;
}

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Formats milliseconds the way durations are written in the environment (`90s`, `15m`). */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms >= DURATION_UNITS_MS[unit] && ms % DURATION_UNITS_MS[unit] === 0)
      return `${ms / DURATION_UNITS_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration with a unit (`500ms`, `30s`, `15m`, `1h`), in milliseconds, within [minMs, maxMs]. */
function duration(env: Env, name: keyof typeof DEFAULTS, minMs: number, maxMs: number): number {
  const value = read(env, name);
  const range = `from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`;
  const match = /^(\d+)\s*(ms|s|m|h)$/i.exec(value);
  if (!match) {
    throw new ConfigError(
      name,
      value,
      `must be a whole number with a unit (ms, s, m or h), e.g. 15m; ${range}`,
    );
  }
  const ms = Number(match[1]) * DURATION_UNITS_MS[match[2]!.toLowerCase() as keyof typeof DURATION_UNITS_MS];
  if (ms < minMs || ms > maxMs) throw new ConfigError(name, value, `must be ${range}`);
  return ms;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const logLevel = read(env, 'LOG_LEVEL').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', logLevel, `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const queuePrefix = read(env, 'QUEUE_PREFIX');
  if (!/^[\w{}.-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError(
      'QUEUE_PREFIX',
      queuePrefix,
      'use 1-64 letters, digits, "_", "-", "." or a {hash-tag} (no ":" or spaces)',
    );
  }
  const metricsHost = read(env, 'METRICS_HOST');
  if (!/^[\w.:-]+$/.test(metricsHost)) {
    throw new ConfigError('METRICS_HOST', metricsHost, 'must be a host name or IP address');
  }
  return Object.freeze({
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    rulesDir: path.resolve(cwd, read(env, 'RULES_DIR')),
    queuePrefix,
    metricsHost,
    metricsPort: integer(env, 'METRICS_PORT', 0, 65535),
    logLevel: logLevel as LogLevel,
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 1, 256),
    workerBatchSize: integer(env, 'WORKER_BATCH_SIZE', 1, 500),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 0, 3_600_000),
    rollupReconcileIntervalMs: duration(env, 'ROLLUP_RECONCILE_INTERVAL', 1_000, 86_400_000),
    rollupReconcileLookbackHours: integer(env, 'ROLLUP_RECONCILE_LOOKBACK_HOURS', 1, 2160),
    metricsUtilizationIntervalMs: duration(env, 'METRICS_UTILIZATION_INTERVAL', 1_000, 3_600_000),
  });
}
