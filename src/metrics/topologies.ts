/**
 * Metrics of the topology review (docs/operations.md, "Topology reviews"). Counted once the
 * review's transaction has committed, so a rolled-back or retried check counts once, when it
 * lands. Labels are bounded: `status` is one of the outcomes, `kind` one of the finding kinds
 * (anything else is counted as `other`).
 */
import { Counter, type Registry } from 'prom-client';
import { FINDING_KINDS, OUTCOMES, type Outcome } from '../topologies/types';

export const OTHER_KIND = 'other';
const KINDS: ReadonlySet<string> = new Set(FINDING_KINDS);

export interface TopologyMetrics {
  readonly reviews: Counter<'status'>;
  readonly findings: Counter<'kind'>;
  /** One review written with these findings (the rows written to topology_review_findings). */
  reviewed(status: Outcome, findings: ReadonlyArray<{ kind: string }>): void;
}

export function createTopologyMetrics(registry: Registry): TopologyMetrics {
  const reviews = new Counter<'status'>({
    name: 'provdb_topology_reviews_total',
    help: 'Topology reviews written, by outcome',
    labelNames: ['status'],
    registers: [registry],
  });
  const findings = new Counter<'kind'>({
    name: 'provdb_topology_findings_total',
    help: 'Findings recorded in topology_review_findings, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  // Every status shows from the start, so a rate over a quiet period reads 0, not "no data".
  for (const status of OUTCOMES) reviews.inc({ status }, 0);
  return {
    reviews,
    findings,
    reviewed(status, list) {
      reviews.inc({ status });
      const byKind = new Map<string, number>();
      for (const { kind } of list) {
        const label = KINDS.has(kind) ? kind : OTHER_KIND;
        byKind.set(label, (byKind.get(label) ?? 0) + 1);
      }
      for (const [kind, n] of byKind) findings.inc({ kind }, n);
    },
  };
}
