/**
 * The dependencies the application builds once at start-up (src/app.ts) and passes down: to
 * handler modules, the queue runtime, the HTTP server and the CLI. Nothing creates its own
 * connection or global; tests build their own `AppDeps` around their own database and prefix.
 */
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { ReadinessChecks } from './metrics/readiness';
import type { HandlerRegistry } from './queues/handlers';
import type { Producer } from './queues/producer';
import type { RuleSetStore } from './rules/store';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly knex: Knex;
  /** A fail-fast Redis connection for producing jobs, queue statistics and health checks. */
  readonly redis: Redis;
  readonly producer: Producer;
  /** The process's prom-client Registry and the runtime's own metrics. */
  readonly metrics: Metrics;
  /** `/readyz` checks; a part adds its own (e.g. "rules loaded"). */
  readonly readiness: ReadinessChecks;
  readonly handlers: HandlerRegistry;
  /**
   * The rule set in use, with hot reload (RULES_DIR is watched; SIGHUP reloads). Hold one
   * snapshot (`rules.current()`) for the whole of one evaluation.
   */
  readonly rules: RuleSetStore;
  /**
   * Registers a cleanup to run at shutdown, after the workers stopped and before Redis and
   * Postgres are closed (e.g. stopping a file watcher). Cleanups run last-registered first.
   */
  onClose(name: string, fn: () => Promise<void> | void): void;
}
