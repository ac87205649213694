/**
 * Metrics of the rules: decisions by outcome and rule results (counted once the decision has
 * committed: a rolled-back or retried event counts once, when it commits), reload failures,
 * time of the last good reload and the revision in use (an info metric: one series, value 1,
 * labelled with the revision; the old series is removed on change so the label set stays
 * bounded). Rule labels are the policy and rule names of the rule files: a bounded set, which
 * grows only when an admin adds rules.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Decision, Outcome } from '../rules/evaluate';
import type { RuleSetStore } from '../rules/store';

export type RuleResult = 'fired' | 'not_fired';

export interface RulesMetrics {
  readonly decisions: Counter<'outcome'>;
  readonly ruleResults: Counter<'policy' | 'rule' | 'result'>;
  readonly reloadFailures: Counter;
  readonly lastReload: Gauge;
  readonly revisionInfo: Gauge<'revision'>;
  /**
   * Counts one committed reservation decision: `decisionRows` decisions of its outcome (one per
   * owner booking row, as written to booking_decisions) and each rule of each device evaluation.
   */
  countDecision(outcome: Outcome, decisionRows: number, evaluations: readonly Decision[]): void;
  /** Follows a store's reloads; returns a function that stops following. */
  observe(store: RuleSetStore): () => void;
}

export function createRulesMetrics(registry: Registry): RulesMetrics {
  const decisions = new Counter<'outcome'>({
    name: 'provdb_booking_decisions_total',
    help: 'Booking decisions recorded in booking_decisions (one per owner booking row), by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const ruleResults = new Counter<'policy' | 'rule' | 'result'>({
    name: 'provdb_rule_results_total',
    help: 'Rules evaluated for recorded decisions, per policy and rule, by whether the rule fired',
    labelNames: ['policy', 'rule', 'result'],
    registers: [registry],
  });
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
    decisions,
    ruleResults,
    countDecision(outcome, decisionRows, evaluations) {
      if (decisionRows > 0) decisions.inc({ outcome }, decisionRows);
      for (const evaluation of evaluations) {
        for (const r of evaluation.reasons)
          ruleResults.inc({ policy: r.policy, rule: r.rule, result: 'fired' });
        for (const r of evaluation.notFired)
          ruleResults.inc({ policy: r.policy, rule: r.rule, result: 'not_fired' });
      }
    },
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
