import assert from 'node:assert/strict';
import { loadMetricCatalog, seriesNames } from '../support/metric-catalog';
import { scanPromql } from '../support/promql';
import { DASHBOARD_FILE, DATASOURCE_VARIABLE, dashboardQueries, readDashboard } from './dashboard';
import { readText } from './files';
import { queryProblems } from './queries';

const DATASOURCE = { type: 'prometheus', uid: DATASOURCE_VARIABLE };

describe('Grafana dashboard', () => {
  const dashboard = readDashboard();
  const catalog = loadMetricCatalog();
  const queries = dashboardQueries(dashboard);
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');

  it('is importable anywhere: the data source is a variable, never a fixed uid', () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    assert.deepEqual(
      { type: variable?.type, query: variable?.query },
      { type: 'datasource', query: 'prometheus' },
    );
    // A fixed data-source uid (or an import-time ${DS_...} input) breaks provisioning or import.
    const uids = [...readText(DASHBOARD_FILE).matchAll(/"uid":\s*"([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(uids)].sort(), [DATASOURCE_VARIABLE, 'provdb-worker']);
  });

  it('queries every panel and target through the data-source variable', () => {
    assert.ok(panels.length >= 20, `only ${panels.length} panels`);
    for (const panel of panels) {
      assert.deepEqual(panel.datasource, DATASOURCE, `panel "${panel.title}"`);
      assert.ok(panel.targets && panel.targets.length > 0, `panel "${panel.title}" has no query`);
      for (const target of panel.targets) {
        assert.deepEqual(target.datasource, DATASOURCE, `panel "${panel.title}" ${target.refId}`);
      }
    }
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      assert.deepEqual(variable.datasource, DATASOURCE, `variable ${variable.name}`);
    }
  });

  it('has job, instance and window variables, and every query filters on job and instance', () => {
    const names = dashboard.templating.list.map((v) => v.name);
    for (const name of ['datasource', 'job', 'instance', 'window']) assert.ok(names.includes(name), name);
    for (const { where, expr } of queries.filter((q) => q.where.startsWith('panel'))) {
      for (const selection of scanPromql(expr).selections) {
        assert.match(expr, /job="\$job"/, where);
        assert.ok(
          selection.labels.includes('job') && selection.labels.includes('instance'),
          `${where}: ${selection.metric} is not filtered by $job and $instance`,
        );
      }
    }
  });

  it('queries only documented metrics and their labels', () => {
    for (const { where, expr } of queries) {
      assert.ok(scanPromql(expr).selections.length > 0, `${where} selects no series`);
      assert.deepEqual(queryProblems(expr, catalog), [], `${where}: ${expr}`);
    }
  });

  it('shows every documented metric somewhere', () => {
    const used = new Set(queries.flatMap(({ expr }) => scanPromql(expr).selections.map((s) => s.metric)));
    const unused = [...seriesNames(catalog)]
      .filter(([series, metric]) => metric.type !== 'histogram' || series.endsWith('_bucket'))
      .map(([series]) => series)
      .filter((series) => !used.has(series));
    assert.deepEqual(unused, []);
  });

  it('has the panels operators look for', () => {
    const titles = panels.map((panel) => panel.title.toLowerCase());
    for (const wanted of [
      'throughput',
      'failures',
      'failure ratio',
      'job duration',
      'queue lag',
      'queue depth',
      'decisions by outcome',
      'top rules fired',
      'rules revision',
      'reload failures',
      'reviews by status',
      'findings by kind',
      'utilization by device (',
      'utilization by device type',
      'utilization by site',
      'rollup lag',
      'memory',
      'cpu',
    ]) {
      assert.ok(
        titles.some((title) => title.includes(wanted)),
        `no panel titled with "${wanted}"`,
      );
    }
    for (const quantile of ['0.5', '0.95', '0.99']) {
      for (const metric of ['provdb_job_duration_seconds_bucket', 'provdb_job_lag_seconds_bucket']) {
        assert.ok(
          queries.some(
            ({ expr }) => expr.startsWith(`histogram_quantile(${quantile},`) && expr.includes(metric),
          ),
          `${metric} at ${quantile}`,
        );
      }
    }
  });

  it('lays panels out on the 24-column grid without overlaps, with unique ids', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'duplicate panel ids');
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `panel "${panel.title}" is off the grid`);
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          const other = cells.get(`${row}:${column}`);
          assert.equal(other, undefined, `panels "${other}" and "${panel.title}" overlap`);
          cells.set(`${row}:${column}`, panel.title);
        }
      }
    }
  });
});
