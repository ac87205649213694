/**
 * Metrics of provdb-worker. One prom-client Registry per process, created at start-up and
 * injected (deps.metrics.registry); nothing registers on prom-client's global registry.
 *
 * Each part keeps its metric definitions in its own module here, as a factory taking the
 * Registry (like ./jobs.ts): e.g. `src/metrics/rules.ts` exporting
 * `createRuleMetrics(registry)`, called from the part's HandlerModule with
 * `deps.metrics.registry`. Names start with `provdb_`, counters end in `_total`, durations are
 * `_seconds`; labels take values from fixed sets (never an id, a user or an e-mail).
 */
import type { Registry } from 'prom-client';
import { createJobMetrics, type JobMetrics } from './jobs';
import { createRegistry } from './registry';
import { createRulesMetrics, type RulesMetrics } from './rules';

export type { JobMetrics, JobOutcome, RetryReason } from './jobs';
export { createRegistry, METRIC_PREFIX } from './registry';

export interface Metrics {
  readonly registry: Registry;
  /** The queue runtime's job counters and histograms. */
  readonly jobs: JobMetrics;
  /** Decisions, rule results and the rule set in use (./rules.ts). */
  readonly rules: RulesMetrics;
}

export function createMetrics(registry: Registry = createRegistry()): Metrics {
  return { registry, jobs: createJobMetrics(registry), rules: createRulesMetrics(registry) };
}
