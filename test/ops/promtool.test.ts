import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dump } from 'js-yaml';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { loadMetricCatalog, type MetricCatalog } from '../support/metric-catalog';
import { substituteGrafanaVariables } from '../support/promql';
import { metricsLintProblems, promtool, skipWithoutPromtool } from '../support/promtool';
import { dashboardQueries, readDashboard, VARIABLE_VALUES } from './dashboard';
import { REPO } from './files';

/** `promtool check rules` on expressions, as recording rules of a temporary file. */
function checkExpressions(exprs: string[], dir: string): ReturnType<typeof promtool> {
  const file = path.join(dir, `expressions-${Date.now()}.yml`);
  const rules = exprs.map((expr, index) => ({ record: `check:expression_${index}`, expr }));
  writeFileSync(file, dump({ groups: [{ name: 'expressions', rules }] }));
  return promtool(['check', 'rules', file]);
}

/** A registry holding one series of every documented provdb_ metric, as prom-client writes it. */
function registryOf(catalog: MetricCatalog): Registry {
  const registry = new Registry();
  for (const metric of catalog.metrics.values()) {
    if (!metric.name.startsWith('provdb_')) continue;
    const options = {
      name: metric.name,
      help: metric.help,
      labelNames: metric.labels,
      registers: [registry],
    };
    const labels = Object.fromEntries(metric.labels.map((label) => [label, 'x']));
    if (metric.type === 'counter') new Counter(options).inc(labels);
    else if (metric.type === 'gauge') new Gauge(options).set(labels, 1);
    else new Histogram(options).observe(labels, 0.1);
  }
  return registry;
}

describe('promtool checks of the Prometheus files and the metrics surface', () => {
  let dir: string;

  before(function () {
    skipWithoutPromtool(this);
    dir = mkdtempSync(path.join(tmpdir(), 'provdb-promtool-'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the alerting rules', () => {
    const result = promtool(['check', 'rules', 'prometheus/alerts.yml'], { cwd: REPO });
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SUCCESS: \d+ rules found/);
  });

  it('passes the unit tests of every alert', () => {
    const result = promtool(['test', 'rules', 'prometheus/alerts.test.yml'], { cwd: REPO });
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  for (const config of ['prometheus/prometheus.yml', 'prometheus/prometheus.compose.yml']) {
    it(`accepts ${config}`, () => {
      const result = promtool(['check', 'config', config], { cwd: REPO });
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /SUCCESS: 1 rule files found/);
    });
  }

  it('finds every dashboard query valid PromQL', () => {
    const queries = dashboardQueries(readDashboard());
    const exprs = queries.map(({ expr }) => substituteGrafanaVariables(expr, VARIABLE_VALUES));
    for (const [index, expr] of exprs.entries()) {
      assert.doesNotMatch(expr, /\$/, `${queries[index]!.where}: unknown Grafana variable in ${expr}`);
    }
    const result = checkExpressions(exprs, dir);
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });

  it('would reject a malformed query (the dashboard check can fail)', () => {
    const result = checkExpressions(['sum(rate(provdb_jobs_processed_total[5m])'], dir);
    assert.notEqual(result.status, 0);
    assert.match(result.output, /parse error/);
  });

  it('finds the documented metric names, types and help lint-clean', async () => {
    const registry = registryOf(loadMetricCatalog());
    const exposition = await registry.metrics();
    assert.deepEqual(metricsLintProblems(exposition), [], exposition);
  });

  it("finds prom-client's default metrics with the provdb_ prefix clean but for its known names", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'provdb_' });
    const exposition = await registry.metrics();
    assert.deepEqual(metricsLintProblems(exposition), []);
    // The process metrics the guide documents are the ones prom-client exports.
    const documented = [...loadMetricCatalog().metrics.values()].filter((m) =>
      /^provdb_(process|nodejs)_/.test(m.name),
    );
    assert.ok(documented.length > 0);
    for (const metric of documented) {
      assert.match(exposition, new RegExp(`^# TYPE ${metric.name} ${metric.type}$`, 'm'), metric.name);
    }
  });

  it('would report a badly named metric (the lint check can fail)', () => {
    assert.deepEqual(
      metricsLintProblems('# HELP provdb_jobs x\n# TYPE provdb_jobs counter\nprovdb_jobs 1\n'),
      ['provdb_jobs counter metrics should have "_total" suffix'],
    );
  });
});
