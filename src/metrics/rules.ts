/**
 * Metrics of the rule set in use: reload failures, time of the last good reload and the
 * revision in use (an info metric: one series, value 1, labelled with the revision; the old
 * series is removed on change so the label set stays bounded).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RuleSetStore } from '../rules/store';

export interface RulesMetrics {
  readonly reloadFailures: Counter;
  readonly lastReload: Gauge;
  readonly revisionInfo: Gauge<'revision'>;
  /** Follows a store's reloads; returns a function that stops following. */
  observe(store: RuleSetStore): () => void;
}

export function createRulesMetrics(registry: Registry): RulesMetrics {
  const reloadFailures = new Counter({
    name: 'provdb_rules_reload_failures_total',
    help: 'Rule reloads that failed validation (the previous rule set stayed in use)',
    registers: [registry],
  });
  const lastReload = new Gauge({
    name: 'provdb_rules_last_reload_timestamp_seconds',
    help: 'Unix time of the last successful load or reload of the rules',
    registers: [registry],
  });
  const revisionInfo = new Gauge<'revision'>({
    name: 'provdb_rules_revision_info',
    help: 'The rule-set revision in use (value 1)',
    labelNames: ['revision'],
    registers: [registry],
  });
  const showRevision = (revision: string) => {
    revisionInfo.reset();
    revisionInfo.set({ revision }, 1);
  };
  return {
    reloadFailures,
    lastReload,
    revisionInfo,
    observe(store) {
      showRevision(store.revision);
      lastReload.set(store.current().loadedAt.getTime() / 1000);
      const onReloaded = (e: { revision: string; at: Date }) => {
        showRevision(e.revision);
        lastReload.set(e.at.getTime() / 1000);
      };
      const onFailed = () => reloadFailures.inc();
      store.on('reloaded', onReloaded);
      store.on('reloadFailed', onFailed);
      return () => {
        store.off('reloaded', onReloaded);
        store.off('reloadFailed', onFailed);
      };
    },
  };
}
