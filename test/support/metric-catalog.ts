/**
 * The documented public metrics, read from the tables of docs/operations.md ("## Metrics"), so
 * the documentation is the one list that dashboards, alerts and the metrics module are checked
 * against.
 *
 * Metric tables have the header `| metric | type | labels | unit | meaning |`; the label-value
 * table has `| label | on | values |`. A values cell made only of backticked items is a closed
 * set; anything else describes an open set (rule names, device names).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const OPERATIONS_DOC = path.resolve(__dirname, '../../docs/operations.md');

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface DocumentedMetric {
  name: string;
  type: MetricType;
  labels: string[];
  unit: string;
  help: string;
  /** The `###` heading the metric is documented under (a part of the worker). */
  section: string;
}

export interface LabelValues {
  /** Label names of the row (`policy`, `rule` share one row). */
  labels: string[];
  /** Metric names the row applies to; empty when it names a group in prose. */
  metrics: string[];
  /** The closed set of values, or null when the row describes an open set. */
  values: string[] | null;
}

export interface MetricCatalog {
  metrics: Map<string, DocumentedMetric>;
  labelValues: LabelValues[];
}

const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram'];

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim());
}

function backticked(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
}

/** The `## Metrics` section: from its heading to the next second-level heading. */
function metricsSection(markdown: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === '## Metrics');
  if (start < 0) throw new Error('docs/operations.md has no "## Metrics" section');
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

export function parseMetricCatalog(markdown: string): MetricCatalog {
  const metrics = new Map<string, DocumentedMetric>();
  const labelValues: LabelValues[] = [];
  let header: string[] | null = null;
  let section = '';
  for (const line of metricsSection(markdown)) {
    if (line.startsWith('### ')) section = line.slice(4).trim();
    if (!line.trim().startsWith('|')) {
      header = null;
      continue;
    }
    const row = cells(line);
    if (header === null) {
      header = row;
      continue;
    }
    if (row.every((cell) => /^:?-+:?$/.test(cell))) continue;
    const key = header.join('|');
    if (key === 'metric|type|labels|unit|meaning') {
      const [nameCell, type, labelsCell, unit, help] = row as [string, string, string, string, string];
      const name = backticked(nameCell)[0];
      if (!name) throw new Error(`metric row without a backticked name: ${line}`);
      if (!TYPES.includes(type as MetricType)) throw new Error(`metric ${name}: unknown type "${type}"`);
      if (metrics.has(name)) throw new Error(`metric ${name} is documented twice`);
      metrics.set(name, {
        name,
        type: type as MetricType,
        labels: backticked(labelsCell),
        unit,
        help,
        section,
      });
    } else if (key === 'label|on|values') {
      const [labelCell, onCell, valuesCell] = row as [string, string, string];
      const closed = /^`[^`]+`(\s*,\s*`[^`]+`)*$/.test(valuesCell);
      labelValues.push({
        // `job` (`exported_job` in Prometheus): the first name is the label as exposed.
        labels: labelCell.includes('(') ? backticked(labelCell).slice(0, 1) : backticked(labelCell),
        metrics: backticked(onCell),
        values: closed ? backticked(valuesCell) : null,
      });
    }
  }
  if (metrics.size === 0) throw new Error('docs/operations.md documents no metric');
  return { metrics, labelValues };
}

export function loadMetricCatalog(file = OPERATIONS_DOC): MetricCatalog {
  return parseMetricCatalog(readFileSync(file, 'utf8'));
}

/**
 * The series names Prometheus stores for the documented metrics: a histogram becomes
 * `_bucket`, `_sum` and `_count`. Maps each series name to its metric.
 */
export function seriesNames(catalog: MetricCatalog): Map<string, DocumentedMetric> {
  const series = new Map<string, DocumentedMetric>();
  for (const metric of catalog.metrics.values()) {
    if (metric.type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) series.set(metric.name + suffix, metric);
    } else {
      series.set(metric.name, metric);
    }
  }
  return series;
}

/**
 * The label names a query may use on a series: the documented ones, the target labels every
 * scrape adds, `exported_job` where the metric's own `job` label was renamed on ingestion, and
 * `le` on histogram buckets.
 */
export function queryableLabels(series: string, metric: DocumentedMetric): Set<string> {
  const labels = new Set(['job', 'instance', ...metric.labels]);
  if (metric.labels.includes('job')) labels.add('exported_job');
  if (series.endsWith('_bucket') && metric.type === 'histogram') labels.add('le');
  return labels;
}

/**
 * The allowed values of one label of one metric: a closed set, or null for an open set (rule
 * names, device names). Throws when the documentation has no row for it.
 */
export function allowedLabelValues(catalog: MetricCatalog, metric: string, label: string): string[] | null {
  const rows = catalog.labelValues.filter(
    (row) => row.labels.includes(label) && row.metrics.includes(metric),
  );
  if (rows.length !== 1) {
    throw new Error(`docs/operations.md has ${rows.length} label-value rows for ${metric}{${label}}, not 1`);
  }
  return rows[0]!.values;
}
