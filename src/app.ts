/**
 * The application: builds every dependency once (logger, knex, Redis, metrics, readiness,
 * producer, handler registry), registers the handler modules, and owns start-up and shutdown.
 *
 *     const app = await createApp(loadConfig());
 *     await app.start({ queues: ['bookings'] });   // waits for Postgres and Redis, then consumes
 *     await app.close();                           // drains, then closes everything in order
 *
 * The rules in RULES_DIR are loaded first: an invalid folder makes createApp throw
 * RuleSetInvalidError (listing every problem) before anything connects. The folder is watched
 * (and `deps.rules.reload()`, on SIGHUP, reloads it); a reload that changes the revision
 * enqueues one `rules.changed`, with an eventId derived from the revisions, so that many
 * workers picking up the same change send one event; so does a start with a revision other
 * than that of the latest decision (a deploy).
 *
 * Shutdown order: stop fetching and let active jobs finish (up to SHUTDOWN_TIMEOUT_MS), then
 * close the queues, the parts' own cleanups, Redis, knex and the HTTP server. Each step runs
 * even if an earlier one failed; `close()` is idempotent, and `close({ force: true })` stops
 * waiting for active jobs (their locks expire and another worker runs them again).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { type Config, redactUrl } from './config';
import { jobsOfQueue, QUEUE_NAMES, type QueueName } from './contracts';
import { createKnex } from './db/knex';
import { BOOKING_DECISION_TABLE } from './db/models';
import { rulesChangedEventId } from './decisions/event-ids';
import type { AppDeps } from './deps';
import { HANDLER_MODULES } from './handlers';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { type QueueCounts, registerQueueDepth } from './metrics/queue-depth';
import { ReadinessChecks } from './metrics/readiness';
import { createHttpServer, type HttpServer } from './metrics/server';
import { createUtilizationMetrics, type UtilizationMetrics } from './metrics/utilization';
import { createRedis, pingRedis, watchRedis } from './queues/connection';
import { type HandlerModule, HandlerRegistry } from './queues/handlers';
import { PROCESSED_EVENTS } from './queues/process-event';
import { createProducer } from './queues/producer';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './queues/retry';
import { DEFAULT_RETENTION, startWorkerPool, type WorkerPool } from './queues/runtime';
import { upsertSchedules } from './queues/schedules';
import { type ReloadSuccess, RuleSetStore } from './rules/store';
import { waitFor } from './startup';

/** Settings that are not environment variables: sensible defaults, overridable in code (tests). */
export interface RuntimeTuning {
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  readonly retry: RetryPolicy;
  /** Postgres statement_timeout inside a job's transaction. */
  readonly statementTimeoutMs: number;
  readonly retention: typeof DEFAULT_RETENTION;
  /** Queue statistics for /metrics: cache lifetime and Redis time limit. */
  readonly queueStatsCacheMs: number;
  readonly queueStatsTimeoutMs: number;
  /** Time limit of each /readyz check. */
  readonly readinessTimeoutMs: number;
  /** Time limit of each shutdown step after the workers (queues, Redis, knex, HTTP). */
  readonly closeStepTimeoutMs: number;
  /** Start-up retry delays while Postgres or Redis is unreachable. */
  readonly startupRetryInitialMs: number;
  readonly startupRetryMaxMs: number;
  /** Quiet time after the last change of a rule file before the rules are reloaded. */
  readonly rulesDebounceMs: number;
}

export const DEFAULT_TUNING: RuntimeTuning = Object.freeze({
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 1,
  retry: DEFAULT_RETRY_POLICY,
  statementTimeoutMs: 60_000,
  retention: DEFAULT_RETENTION,
  queueStatsCacheMs: 5_000,
  queueStatsTimeoutMs: 1_000,
  readinessTimeoutMs: 2_000,
  closeStepTimeoutMs: 10_000,
  startupRetryInitialMs: 500,
  startupRetryMaxMs: 30_000,
  rulesDebounceMs: 250,
});

export interface AppOptions {
  /** Defaults to JSON logs on stdout at config.logLevel. */
  readonly logger?: Logger;
  /** Defaults to src/handlers.ts (the parts' handler modules). */
  readonly handlerModules?: readonly HandlerModule[];
  readonly registry?: Registry;
  readonly tuning?: Partial<RuntimeTuning>;
  /** Watch RULES_DIR for changes (default true; SIGHUP reloads either way). */
  readonly watchRules?: boolean;
}

export interface StartOptions {
  /** Queues to consume (default: all). */
  readonly queues?: readonly QueueName[];
}

export interface CloseReport {
  /** True when active jobs were abandoned (deadline passed or force asked). */
  readonly forced: boolean;
  /** Steps that failed, as `step: message`. */
  readonly errors: readonly string[];
}

export interface App {
  readonly deps: AppDeps;
  readonly http: HttpServer;
  readonly tuning: RuntimeTuning;
  /** The utilization and rollup-lag gauges, refreshed from Postgres on a timer once started. */
  readonly utilization: UtilizationMetrics;
  /** Starts the HTTP server, waits for Postgres and Redis, then starts the workers. */
  start(options?: StartOptions): Promise<void>;
  close(options?: { force?: boolean }): Promise<CloseReport>;
  /** Settles when a close() has finished. */
  readonly closed: Promise<CloseReport>;
}

async function queueCounts(deps: AppDeps, queue: QueueName): Promise<QueueCounts> {
  const c = await deps.producer
    .queue(queue)
    .getJobCounts('wait', 'prioritized', 'waiting-children', 'active', 'delayed', 'failed');
  const n = (key: string) => c[key] ?? 0;
  return {
    waiting: n('wait') + n('prioritized') + n('waiting-children'),
    active: n('active'),
    delayed: n('delayed'),
    failed: n('failed'),
  };
}

/**
 * Enqueues `rules.changed` for a new revision (a reload, or a start after a deploy changed the
 * rules). Retried while Redis is unreachable (for about half a minute), then logged as an error
 * that names the remedy.
 */
async function announceRulesChange(
  deps: AppDeps,
  reload: Pick<ReloadSuccess, 'revision' | 'previousRevision' | 'at'>,
  closing: () => boolean,
): Promise<void> {
  const { revision, previousRevision } = reload;
  const eventId = rulesChangedEventId(previousRevision, revision, reload.at);
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.producer.enqueue('rules.changed', {
        eventId,
        occurredAt: reload.at.toISOString(),
        revision,
        previousRevision,
      });
      deps.logger.info(
        { eventId, revision, previousRevision },
        `rules.changed enqueued: reservations not started yet will be decided again with revision ${revision}`,
      );
      return;
    } catch (error) {
      if (closing() || attempt >= 5) {
        deps.logger.error(
          { eventId, revision, previousRevision, err: (error as Error).message },
          `could not enqueue rules.changed for revision ${revision} (${(error as Error).message}): ` +
            `bookings keep their decisions until \`provdb-worker enqueue rules.changed\` is run`,
        );
        return;
      }
      await sleep(1_000 * 2 ** (attempt - 1), undefined, { ref: false });
    }
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const tuning: RuntimeTuning = { ...DEFAULT_TUNING, ...options.tuning };
  const logger = options.logger ?? createLogger(config.logLevel);
  // Before anything connects: a worker does not start without valid rules.
  const rules = await RuleSetStore.open({
    dir: config.rulesDir,
    logger,
    watch: options.watchRules ?? true,
    debounceMs: tuning.rulesDebounceMs,
  });
  // One connection per concurrently running job, plus a few for probes and parts' own reads.
  const knex = createKnex(config.databaseUrl, {
    poolMax: QUEUE_NAMES.length * config.workerConcurrency + 4,
    applicationName: 'provdb-worker',
    // knex's warnings (a lost connection, a failed acquire) as JSON log lines, not console text.
    log: {
      warn: (message: unknown) => logger.warn({ source: 'knex' }, `knex: ${String(message).split('\n')[0]}`),
      error: (message: unknown) =>
        logger.error({ source: 'knex' }, `knex: ${String(message).split('\n')[0]}`),
      deprecate: (method: string, alternative: string) =>
        logger.warn({ source: 'knex' }, `knex: ${method} is deprecated, use ${alternative}`),
      debug: () => undefined,
    },
  });
  const redis = createRedis(config.redisUrl, 'producer');
  watchRedis(redis, config.redisUrl, logger);
  const producer = createProducer({ connection: redis, prefix: config.queuePrefix, logger });
  const metrics = createMetrics(options.registry);
  const readiness = new ReadinessChecks(tuning.readinessTimeoutMs);
  const handlers = new HandlerRegistry();
  const cleanups: Array<{ name: string; fn: () => Promise<void> | void }> = [];

  const deps: AppDeps = {
    config,
    logger,
    knex,
    redis,
    producer,
    metrics,
    readiness,
    handlers,
    rules,
    onClose(name, fn) {
      cleanups.unshift({ name, fn });
    },
  };

  readiness.add('postgres', async () => {
    await knex.raw('SELECT 1');
  });
  readiness.add('redis', () => pingRedis(redis));
  readiness.add('rules loaded', async () => {
    // Always true once created (a store exists only with a valid rule set); named so /readyz shows it.
    if (!rules.current().revision) throw new Error('no rule set loaded');
  });
  const stopRulesMetrics = metrics.rules.observe(rules);
  const onRulesReloaded = (reload: ReloadSuccess) => {
    if (reload.changed) void announceRulesChange(deps, reload, () => closing !== undefined);
  };
  rules.on('reloaded', onRulesReloaded);
  deps.onClose('rules', async () => {
    rules.off('reloaded', onRulesReloaded);
    stopRulesMetrics();
    await rules.close();
  });
  registerQueueDepth(metrics.registry, {
    queues: QUEUE_NAMES,
    fetch: (queue) => queueCounts(deps, queue),
    cacheTtlMs: tuning.queueStatsCacheMs,
    timeoutMs: tuning.queueStatsTimeoutMs,
    logger,
  });
  const utilization = createUtilizationMetrics({
    registry: metrics.registry,
    knex,
    intervalMs: config.metricsUtilizationIntervalMs,
    logger,
  });
  deps.onClose('utilization metrics', () => utilization.stop());
  for (const module of options.handlerModules ?? HANDLER_MODULES) {
    try {
      await module.register(handlers, deps);
    } catch (error) {
      await rules.close(); // its file watcher would keep the process alive
      throw new Error(`handler module ${module.name} failed to register: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  const http = createHttpServer({
    registry: metrics.registry,
    readiness,
    logger,
    host: config.metricsHost,
    port: config.metricsPort,
  });

  const abort = new AbortController();
  let pool: WorkerPool | undefined;
  let closing: Promise<CloseReport> | undefined;
  let forceRequested: () => void = () => undefined;
  const forced = new Promise<void>((resolve) => {
    forceRequested = resolve;
  });
  let settleClosed: (report: CloseReport) => void = () => undefined;
  const closed = new Promise<CloseReport>((resolve) => {
    settleClosed = resolve;
  });

  async function start(startOptions: StartOptions = {}): Promise<void> {
    const queues = startOptions.queues ?? QUEUE_NAMES;
    if (closing) throw new Error('the application is shutting down');
    await http.listen();
    const retry = {
      logger,
      signal: abort.signal,
      initialDelayMs: tuning.startupRetryInitialMs,
      maxDelayMs: tuning.startupRetryMaxMs,
    };
    await waitFor(
      `Postgres at ${redactUrl(config.databaseUrl)}`,
      async () => {
        await knex.raw('SELECT 1');
      },
      retry,
    );
    for (const table of [PROCESSED_EVENTS, BOOKING_DECISION_TABLE]) {
      const { rows } = await knex.raw<{ rows: Array<{ table: string | null }> }>(
        'SELECT to_regclass(?) AS "table"',
        [table],
      );
      if (!rows[0]?.table) {
        throw new Error(`table ${table} is missing: run \`provdb-worker migrate\` first`);
      }
    }
    await waitFor(`Redis at ${redactUrl(config.redisUrl)}`, () => pingRedis(redis), retry);
    abort.signal.throwIfAborted();
    await announceRulesOfDeploy();

    pool = startWorkerPool(
      {
        knex,
        handlers,
        logger,
        producer,
        metrics: metrics.jobs,
        retry: tuning.retry,
        statementTimeoutMs: tuning.statementTimeoutMs,
        batching: { maxBatch: config.workerBatchSize, maxInFlight: config.workerConcurrency },
      },
      {
        redisUrl: config.redisUrl,
        prefix: config.queuePrefix,
        queues,
        concurrency: config.workerConcurrency,
        // A queue with batched jobs holds enough of them to fill WORKER_CONCURRENCY batches; the
        // runner still runs at most WORKER_CONCURRENCY transactions per queue (src/queues/batcher.ts).
        queueConcurrency: Object.fromEntries(
          queues
            .filter((q) => config.workerBatchSize > 1 && jobsOfQueue(q).some((j) => handlers.isBatchable(j)))
            .map((q) => [q, config.workerConcurrency * config.workerBatchSize]),
        ),
        lockDurationMs: tuning.lockDurationMs,
        stalledIntervalMs: tuning.stalledIntervalMs,
        maxStalledCount: tuning.maxStalledCount,
        retention: tuning.retention,
      },
    );
    await pool.waitUntilReady();
    // Periodic jobs of the queues this process consumes (idempotent: one scheduler per id).
    try {
      await upsertSchedules(producer, handlers.schedules(), queues, logger);
    } catch (error) {
      throw new Error(`upserting the job schedulers failed: ${(error as Error).message}`, { cause: error });
    }
    // Redis may come back without its data (restarted with nothing persisted): the schedulers
    // would then be gone until a restart. Upserting again on every reconnection is harmless.
    const schedules = handlers.schedules();
    if (schedules.length > 0) {
      const reschedule = () => {
        if (abort.signal.aborted) return;
        upsertSchedules(producer, schedules, queues, logger).catch((error: Error) =>
          logger.warn(
            { err: error.message },
            `Redis is back, but upserting the job schedulers again failed (${error.message}): restart a worker consuming their queue`,
          ),
        );
      };
      redis.on('ready', reschedule);
      deps.onClose('job schedulers', () => {
        redis.off('ready', reschedule);
      });
    }
    utilization.start();
    const unhandled = queues.flatMap(jobsOfQueue).filter((name) => handlers.handlersFor(name).length === 0);
    if (unhandled.length > 0) {
      logger.warn(
        { jobs: unhandled },
        `no handler registered for ${unhandled.join(', ')}: such jobs will fail`,
      );
    }
    logger.info(
      {
        queues,
        rulesRevision: rules.revision,
        rulesDir: config.rulesDir,
        concurrency: config.workerConcurrency,
        batchSize: config.workerBatchSize,
        prefix: config.queuePrefix,
        handled: handlers.jobNames(),
        metrics: http.url,
      },
      `provdb-worker started: consuming ${queues.join(', ')} (concurrency ${config.workerConcurrency} per queue, batches of up to ${config.workerBatchSize}, rules ${rules.revision})`,
    );
  }

  /**
   * Rules changed while no worker ran (a deploy with new rule files) are not a reload: when the
   * latest decision was made with another revision, announce the change as a reload would.
   * Workers starting together within a minute announce one event; once the reservations have
   * been decided again, the latest decision carries the new revision and restarts stay quiet.
   */
  async function announceRulesOfDeploy(): Promise<void> {
    const latest = (await knex(BOOKING_DECISION_TABLE).orderBy('id', 'desc').first('ruleset_revision')) as
      | { ruleset_revision: string }
      | undefined;
    if (!latest || latest.ruleset_revision === rules.revision) return;
    logger.info(
      { revision: rules.revision, previousRevision: latest.ruleset_revision },
      `rules revision ${rules.revision} differs from that of the latest decision (${latest.ruleset_revision}): announcing rules.changed`,
    );
    void announceRulesChange(
      deps,
      { revision: rules.revision, previousRevision: latest.ruleset_revision, at: new Date() },
      () => closing !== undefined,
    );
  }

  async function drainWorkers(): Promise<boolean> {
    if (!pool) return false;
    const active = pool.activeJobs();
    logger.info(
      { activeJobs: active, timeoutMs: config.shutdownTimeoutMs },
      `stopping workers: waiting up to ${config.shutdownTimeoutMs} ms for ${active} active job(s)`,
    );
    const drained = pool.close(false).then(() => 'drained' as const);
    const outcome = await Promise.race([
      drained,
      new Promise<'timeout'>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs, 'timeout').unref()),
      forced.then(() => 'forced' as const),
    ]);
    if (outcome === 'drained') return false;
    drained.catch(() => undefined);
    logger.warn(
      { activeJobs: pool.activeJobs(), reason: outcome },
      `${outcome === 'timeout' ? 'shutdown deadline passed' : 'forced shutdown'}: leaving ${pool.activeJobs()} active job(s) to be run again by another worker`,
    );
    return true;
  }

  async function shutdown(): Promise<CloseReport> {
    readiness.markShuttingDown();
    abort.abort(new Error('shutting down'));
    const errors: string[] = [];
    let wasForced = false;
    const step = async (name: string, fn: () => Promise<void> | void) => {
      // After abandoning active jobs, their connections stay busy: do not wait long for them.
      const deadlineMs = wasForced ? Math.min(1_000, tuning.closeStepTimeoutMs) : tuning.closeStepTimeoutMs;
      try {
        await withDeadline(Promise.resolve().then(fn), deadlineMs, name);
      } catch (error) {
        errors.push(`${name}: ${(error as Error).message}`);
        logger.error({ step: name, err: (error as Error).message }, `shutdown: closing ${name} failed`);
      }
    };
    try {
      wasForced = await drainWorkers();
    } catch (error) {
      errors.push(`workers: ${(error as Error).message}`);
      logger.error({ step: 'workers', err: (error as Error).message }, 'shutdown: closing workers failed');
    }
    await step('queues', () => producer.close());
    for (const cleanup of cleanups) await step(cleanup.name, cleanup.fn);
    await step('redis', async () => {
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    });
    await step('postgres', () => knex.destroy());
    await step('http', () => http.close());
    const report = { forced: wasForced, errors };
    logger.info(
      report,
      errors.length === 0 && !wasForced ? 'provdb-worker stopped' : 'provdb-worker stopped with problems',
    );
    settleClosed(report);
    return report;
  }

  return {
    deps,
    http,
    tuning,
    utilization,
    start,
    closed,
    close(closeOptions = {}) {
      if (closeOptions.force) forceRequested();
      closing ??= shutdown();
      return closing;
    },
  };
}
