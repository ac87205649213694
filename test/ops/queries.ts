/**
 * Checks PromQL written for dashboards and alerts against the documented metrics: every series
 * it selects is documented, and every label it matches, groups or joins on exists on one of the
 * series it selects.
 */
import { type MetricCatalog, queryableLabels, seriesNames } from '../support/metric-catalog';
import { scanPromql } from '../support/promql';

/** Problems with one expression, each naming the series or label; empty when it is fine. */
export function queryProblems(expr: string, catalog: MetricCatalog): string[] {
  const series = seriesNames(catalog);
  const problems: string[] = [];
  const scanned = scanPromql(expr);
  const available = new Set<string>();
  for (const { metric, labels } of scanned.selections) {
    const documented = series.get(metric);
    if (!documented) {
      problems.push(`selects "${metric}", which docs/operations.md does not document`);
      continue;
    }
    const allowed = queryableLabels(metric, documented);
    for (const label of allowed) available.add(label);
    for (const label of labels) {
      if (!allowed.has(label)) problems.push(`matches label "${label}", which "${metric}" does not have`);
    }
  }
  for (const label of scanned.groupingLabels) {
    if (!available.has(label)) problems.push(`groups on label "${label}", which none of its series has`);
  }
  return problems;
}
