import assert from 'node:assert/strict';
import { parseMetricCatalog } from '../support/metric-catalog';
import { scanPromql, substituteGrafanaVariables } from '../support/promql';
import { queryProblems } from './queries';

// The checks of the dashboard and the alerts pass only if this scanner finds what it should:
// these cases show it does, including where a mistake would hide.
describe('PromQL scanner used to check dashboards and alerts', () => {
  it('finds the series of a quantile query, not its functions, strings or durations', () => {
    const scanned = scanPromql(
      'histogram_quantile(0.95, sum by (le, queue) (rate(provdb_job_duration_seconds_bucket{job="$job", outcome=~"a|b"}[$__rate_interval])))',
    );
    assert.deepEqual(scanned.selections, [
      { metric: 'provdb_job_duration_seconds_bucket', labels: ['job', 'outcome'] },
    ]);
    assert.deepEqual(scanned.groupingLabels, ['le', 'queue']);
  });

  it('finds every operand of binary and set operations, with their join labels', () => {
    const scanned = scanPromql(
      `sum by (queue, outcome) (rate(a_total{outcome="failed"}[10m])) / ignoring (outcome) group_left
       sum by (queue) (rate(b_total[10m])) > 0.1 and ignoring(outcome) c offset 5m unless on (queue) d`,
    );
    assert.deepEqual(
      scanned.selections.map((s) => s.metric),
      ['a_total', 'b_total', 'c', 'd'],
    );
    assert.deepEqual(scanned.groupingLabels, ['queue', 'outcome', 'outcome', 'queue', 'outcome', 'queue']);
  });

  it('ignores label values and strings that look like names', () => {
    const scanned = scanPromql(
      'label_replace(up{instance="provdb_fake:9464"}, "x", "$1", "instance", "(.*)")',
    );
    assert.deepEqual(scanned.selections, [{ metric: 'up', labels: ['instance'] }]);
  });

  const catalog = parseMetricCatalog(
    [
      '## Metrics',
      '| metric | type | labels | unit | meaning |',
      '| --- | --- | --- | --- | --- |',
      '| `provdb_jobs_processed_total` | counter | `queue`, `job`, `outcome` | jobs | x |',
      '| `provdb_job_duration_seconds` | histogram | `queue`, `job` | seconds | x |',
      '## Next',
    ].join('\n'),
  );

  it('accepts documented series, their labels, exported_job and le', () => {
    assert.deepEqual(
      queryProblems(
        'sum by (le, exported_job) (rate(provdb_job_duration_seconds_bucket{instance=~".*", queue="bookings"}[5m])) / sum(rate(provdb_jobs_processed_total[5m]))',
        catalog,
      ),
      [],
    );
  });

  it('reports an undocumented series, a label the series lacks and a grouping on no label', () => {
    assert.deepEqual(
      queryProblems(
        'sum by (state) (rate(provdb_jobs_processed_total{outcom="failed"}[5m])) + provdb_jobs_total',
        catalog,
      ),
      [
        'matches label "outcom", which "provdb_jobs_processed_total" does not have',
        'selects "provdb_jobs_total", which docs/operations.md does not document',
        'groups on label "state", which none of its series has',
      ],
    );
  });

  it('reports a histogram queried by its bare name', () => {
    assert.deepEqual(queryProblems('rate(provdb_job_duration_seconds[5m])', catalog), [
      'selects "provdb_job_duration_seconds", which docs/operations.md does not document',
    ]);
  });

  it('replaces known Grafana variables and leaves unknown ones for promtool to reject', () => {
    assert.equal(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
      substituteGrafanaVariables('rate(x{job="$job", i=~"${instance}"}[$__rate_interval]) $other', {
        job: 'provdb-worker',
        instance: '.*',
        __rate_interval: '1m',
      }),
      'rate(x{job="provdb-worker", i=~".*"}[1m]) $other',
    );
  });
});
