import assert from 'node:assert/strict';
import { type App, createApp } from '../../src/app';
import { TransientError } from '../../src/errors';
import { DEFAULT_RETRY_POLICY } from '../../src/queues/retry';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { allowedLabelValues, type DocumentedMetric, loadMetricCatalog } from '../support/metric-catalog';
import { metricsLintProblems, skipWithoutPromtool } from '../support/promtool';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { auditModule, captureLogs, testConfig, waitUntil } from '../support/runtime';

interface Family {
  type: string;
  /** Label names seen on its samples (without `le`). */
  labels: Set<string>;
  /** Label name -> values seen. */
  values: Map<string, Set<string>>;
  samples: number;
}

/** The metric families of a Prometheus text exposition, with their labels and label values. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1]!, { type: type[2]!, labels: new Set(), values: new Map(), samples: 0 });
  }
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s/.exec(line);
    assert.ok(sample, `unreadable sample line: ${line}`);
    const name = sample[1]!;
    const family =
      families.get(name) ??
      families.get(name.replace(/_(bucket|sum|count)$/, '')) ??
      assert.fail(`${name}: no # TYPE`);
    family.samples += 1;
    for (const [, label, value] of (sample[2] ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g,
    )) {
      if (label === 'le') continue;
      family.labels.add(label!);
      if (!family.values.has(label!)) family.values.set(label!, new Set());
      family.values.get(label!)!.add(value!);
    }
  }
  return families;
}

// prom-client's default metrics: the guide documents those the dashboard uses, not all of them.
const DEFAULT_METRIC = /^provdb_(process|nodejs)_/;

describe('/metrics of a running worker against the operations guide', function () {
  this.timeout(60_000);
  const catalog = loadMetricCatalog();
  let db: TestDatabase;
  let prefix: string;
  let app: App | undefined;
  let exposition = '';
  let families = new Map<string, Family>();

  before(async () => {
    db = await migratedDatabase();
    prefix = uniquePrefix('ops-metrics');
    app = await createApp(testConfig(db.url, prefix), {
      logger: captureLogs('warn').logger,
      handlerModules: [
        auditModule({
          jobs: ['booking.created'],
          // Booking 8 meets a transient error on its first run, so retries are counted too.
          before: (ctx) => {
            if ('bookingId' in ctx.payload && ctx.payload.bookingId === 8 && ctx.attempt === 1) {
              throw new TransientError('Postgres is restarting');
            }
          },
        }),
      ],
      tuning: {
        retry: { ...DEFAULT_RETRY_POLICY, transient: { attempts: 3, baseDelayMs: 10, maxDelayMs: 10 } },
      },
    });
    await app.start({ queues: ['bookings'] });
    // Two jobs through, one after a retry, so counters and histograms have observations.
    await app.deps.producer.enqueue('booking.created', { bookingId: 7 });
    await app.deps.producer.enqueue('booking.created', { bookingId: 8 });
    const url = `${app.http.url}/metrics`;
    exposition = await waitUntil('both jobs to show as completed in /metrics', async () => {
      const text = await (await fetch(url)).text();
      return /^provdb_jobs_processed_total\{[^}]*outcome="completed"[^}]*\} 2$/m.test(text) ? text : '';
    });
    families = parseExposition(exposition);
  });

  after(async () => {
    await app?.close();
    if (prefix) await deletePrefix(prefix);
    await db?.drop();
  });

  it('passes promtool check metrics (but for the known names of prom-client defaults)', function () {
    skipWithoutPromtool(this);
    assert.deepEqual(metricsLintProblems(exposition), []);
  });

  it('exposes only documented metrics, with the documented type and labels', () => {
    const ours = [...families].filter(([name]) => name.startsWith('provdb_') && !DEFAULT_METRIC.test(name));
    assert.ok(ours.length > 0);
    assert.ok(families.get('provdb_job_retries_total')?.samples, 'the retry was counted');
    for (const [name, family] of ours) {
      const documented = catalog.metrics.get(name);
      assert.ok(documented, `${name} is exposed but not documented in docs/operations.md`);
      assert.equal(family.type, documented.type, `${name}: type`);
      // A labelled counter shows its labels only once it has counted something.
      if (family.samples === 0) continue;
      assert.deepEqual([...family.labels].sort(), [...documented.labels].sort(), `${name}: labels`);
    }
  });

  it('exposes every documented metric of each part it runs', () => {
    // A part (a section of the guide) that exposes one of its metrics must expose them all; the
    // parts still to come (rules, reviews) expose none until they are wired in.
    const bySection = new Map<string, DocumentedMetric[]>();
    for (const metric of catalog.metrics.values()) {
      if (metric.name === 'up') continue;
      bySection.set(metric.section, [...(bySection.get(metric.section) ?? []), metric]);
    }
    const present: string[] = [];
    for (const [section, metrics] of bySection) {
      const missing = metrics.filter((m) => !families.has(m.name)).map((m) => m.name);
      if (missing.length === metrics.length) continue;
      present.push(section);
      assert.deepEqual(missing, [], `section "${section}"`);
    }
    for (const section of ['Jobs and queues', 'Utilization and rollups', 'Process']) {
      assert.ok(present.includes(section), `${section} not among ${present.join(', ')}`);
    }
  });

  it('uses only the documented label values', () => {
    for (const [name, family] of families) {
      if (!catalog.metrics.has(name)) continue;
      for (const [label, values] of family.values) {
        const allowed = allowedLabelValues(catalog, name, label);
        if (allowed === null) continue;
        for (const value of values) assert.ok(allowed.includes(value), `${name}{${label}="${value}"}`);
      }
    }
  });
});
