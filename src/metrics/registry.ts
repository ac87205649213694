import { collectDefaultMetrics, Registry } from 'prom-client';

/** Every metric of provdb-worker starts with this (public surface: dashboards and alerts use it). */
export const METRIC_PREFIX = 'provdb_';

/**
 * The process's one Registry (never prom-client's global one), with Node's default process
 * metrics (`provdb_process_cpu_seconds_total`, `provdb_nodejs_eventloop_lag_seconds`, ...).
 */
export function createRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}
