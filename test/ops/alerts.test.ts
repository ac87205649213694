import assert from 'node:assert/strict';
import { z } from 'zod';
import { loadMetricCatalog } from '../support/metric-catalog';
import { scanPromql } from '../support/promql';
import { markdownAnchors, readText, readYaml } from './files';
import { queryProblems } from './queries';

const EXPECTED_ALERTS = [
  'ProvdbWorkerDown',
  'ProvdbQueueBacklogGrowing',
  'ProvdbJobFailureRatioHigh',
  'ProvdbJobsRetrying',
  'ProvdbRulesReloadFailing',
  'ProvdbRollupsLagging',
];

const AlertRules = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(
        z.object({
          alert: z.string(),
          expr: z.string(),
          for: z.string().optional(),
          labels: z.record(z.string(), z.string()),
          annotations: z.record(z.string(), z.string()),
        }),
      ),
    }),
  ),
});

const RuleTests = z.object({
  rule_files: z.array(z.string()),
  tests: z.array(
    z.object({
      name: z.string(),
      alert_rule_test: z
        .array(z.object({ alertname: z.string(), eval_time: z.string(), exp_alerts: z.array(z.unknown()) }))
        .default([]),
    }),
  ),
});

const StaticConfig = z.object({
  targets: z.array(z.string()),
  labels: z.record(z.string(), z.string()).optional(),
});
const PrometheusConfig = z.object({
  rule_files: z.array(z.string()),
  scrape_configs: z.array(z.object({ job_name: z.string(), static_configs: z.array(StaticConfig) })),
});

describe('Prometheus alerts and scrape configuration', () => {
  const rules = readYaml('prometheus/alerts.yml', AlertRules).groups.flatMap((group) => group.rules);
  const catalog = loadMetricCatalog();

  it('defines the alerts of the operations guide, once each', () => {
    assert.deepEqual(
      rules.map((rule) => rule.alert),
      EXPECTED_ALERTS,
    );
  });

  it('gives every alert a severity, a summary, a description and a runbook that exists', () => {
    const anchors = markdownAnchors('docs/operations.md');
    for (const rule of rules) {
      assert.ok(['critical', 'warning'].includes(rule.labels.severity ?? ''), `${rule.alert}: severity`);
      assert.ok(rule.annotations.summary, `${rule.alert}: summary`);
      assert.ok(rule.annotations.description, `${rule.alert}: description`);
      const runbook = rule.annotations.runbook_url ?? '';
      const match = /^docs\/operations\.md#(.+)$/.exec(runbook);
      assert.ok(match, `${rule.alert}: runbook_url "${runbook}" must point into docs/operations.md`);
      assert.ok(anchors.has(match[1]!), `${rule.alert}: docs/operations.md has no heading #${match[1]}`);
    }
  });

  it('lists every alert in the alert table of the operations guide', () => {
    const doc = readText('docs/operations.md');
    for (const name of EXPECTED_ALERTS) assert.match(doc, new RegExp(`^\\| \`${name}\` +\\|`, 'm'), name);
  });

  it('queries only documented metrics and their labels', () => {
    for (const rule of rules) {
      assert.ok(scanPromql(rule.expr).selections.length > 0, `${rule.alert} selects no series`);
      assert.deepEqual(queryProblems(rule.expr, catalog), [], rule.alert);
    }
  });

  it('has promtool cases where each alert fires and where it does not', () => {
    const tests = readYaml('prometheus/alerts.test.yml', RuleTests);
    assert.deepEqual(tests.rule_files, ['alerts.yml']);
    const cases = tests.tests.flatMap((test) => test.alert_rule_test);
    for (const name of EXPECTED_ALERTS) {
      const mine = cases.filter((c) => c.alertname === name);
      assert.ok(
        mine.some((c) => c.exp_alerts.length > 0),
        `${name}: no case where it fires`,
      );
      assert.ok(
        mine.some((c) => c.exp_alerts.length === 0),
        `${name}: no case where it stays quiet`,
      );
    }
  });

  it('scrapes workers on several hosts on the default port and loads the alerts', () => {
    const config = readYaml('prometheus/prometheus.yml', PrometheusConfig);
    assert.deepEqual(config.rule_files, ['alerts.yml']);
    const job = config.scrape_configs.find((scrape) => scrape.job_name === 'provdb-worker');
    assert.ok(job, 'a scrape job named provdb-worker (the alerts select it)');
    const targets = job.static_configs.flatMap((group) => group.targets);
    assert.ok(new Set(targets.map((target) => target.split(':')[0])).size >= 2, 'several hosts');
    for (const target of targets) assert.match(target, /:9464$/);
  });

  it('scrapes the worker on the Docker host in the local stack', () => {
    const config = readYaml('prometheus/prometheus.compose.yml', PrometheusConfig);
    assert.deepEqual(config.rule_files, ['alerts.yml']);
    const job = config.scrape_configs.find((scrape) => scrape.job_name === 'provdb-worker');
    assert.deepEqual(
      job?.static_configs.flatMap((group) => group.targets),
      ['host.docker.internal:9464'],
    );
  });
});
