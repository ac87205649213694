import assert from 'node:assert/strict';
import { allowedLabelValues, loadMetricCatalog, parseMetricCatalog } from '../support/metric-catalog';

describe('documented metrics (docs/operations.md)', () => {
  const catalog = loadMetricCatalog();

  it('names every metric with the provdb_ prefix and the unit or _total suffix it needs', () => {
    for (const metric of catalog.metrics.values()) {
      if (metric.name === 'up') continue;
      assert.match(metric.name, /^provdb_[a-z0-9_]+$/, metric.name);
      if (metric.type === 'counter') assert.match(metric.name, /_total$/, metric.name);
      if (metric.unit.includes('seconds')) assert.match(metric.name, /_seconds(_total)?$/, metric.name);
      if (metric.unit === 'bytes') assert.match(metric.name, /_bytes$/, metric.name);
    }
  });

  it('gives the allowed values of every label of every provdb_ metric', () => {
    for (const metric of catalog.metrics.values()) {
      if (!metric.name.startsWith('provdb_')) continue;
      for (const label of metric.labels)
        assert.doesNotThrow(() => allowedLabelValues(catalog, metric.name, label));
    }
    assert.deepEqual(allowedLabelValues(catalog, 'provdb_jobs_processed_total', 'outcome'), [
      'completed',
      'failed',
      'invalid',
      'duplicate',
    ]);
    assert.deepEqual(allowedLabelValues(catalog, 'provdb_device_utilization_ratio', 'window'), ['1d', '7d']);
    assert.equal(allowedLabelValues(catalog, 'provdb_rule_results_total', 'rule'), null);
  });

  it('never labels a metric with a booking id, a user or an e-mail address', () => {
    for (const metric of catalog.metrics.values()) {
      for (const label of metric.labels)
        assert.doesNotMatch(label, /booking|user|email|mail|id$/i, metric.name);
    }
  });

  it('rejects a table row it cannot read, naming it', () => {
    const doc = (row: string) =>
      [
        '## Metrics',
        '| metric | type | labels | unit | meaning |',
        '| --- | --- | --- | --- | --- |',
        row,
      ].join('\n');
    assert.throws(
      () => parseMetricCatalog(doc('| `provdb_x` | summary | none | s | x |')),
      /provdb_x: unknown type "summary"/,
    );
    assert.throws(
      () => parseMetricCatalog(doc('| provdb_x | gauge | none | s | x |')),
      /without a backticked name/,
    );
  });
});
