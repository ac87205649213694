import assert from 'node:assert/strict';
import { type App, createApp } from '../../src/app';
import { createRegistry } from '../../src/metrics';
import { createUtilizationMetrics, type UtilizationMetrics } from '../../src/metrics/utilization';
import { backfill } from '../../src/rollups/backfill';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { sampleValue, scrape } from '../support/metrics';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { captureLogs, testConfig, waitUntil } from '../support/runtime';
import { Lab } from '../topologies/lab';

const HOUR = 3_600_000;
const STAMP = new Date('2026-01-01T00:00:00Z');

interface Value {
  labels: Record<string, string | number>;
  value: number;
}

describe('metrics/utilization: utilization and rollup lag from the rollups', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let lab: Lab;
  /** The current whole hour: the trailing windows end here. */
  const hi = Math.floor(Date.now() / HOUR) * HOUR;
  const at = (hoursBefore: number) => new Date(hi - hoursBefore * HOUR);
  const metrics: UtilizationMetrics[] = [];
  let busy: { id: number; polatisName: string };
  let maintained: { id: number; polatisName: string };
  let bare: { id: number; polatisName: string };
  let twinA: number;
  let twinB: number;

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    const user = await lab.user();
    const [site] = await db
      .knex('sites')
      .insert({ name: 'Lab North', created_at: STAMP, updated_at: STAMP })
      .returning('id');
    busy = await lab.device({ type: 'amplifier', inventory: {} });
    await db
      .knex('devices')
      .where({ polatis_name: busy.polatisName })
      .update({ site_id: (site as { id: number }).id });
    const inventory = await db.knex('devices').where({ polatis_name: busy.polatisName }).first('id');
    await db.knex('device_table').where({ id: busy.id }).update({ inventory_device_id: inventory.id });
    // 6 of the last 24 whole hours booked; nothing else in the week.
    await lab.booking({ deviceId: busy.id, userId: user, from: at(6), to: at(0), status: 'confirmed' });

    // In maintenance for the last 12 hours; booked 3 hours before that and 3 hours inside it.
    maintained = await lab.device({ type: 'amplifier' });
    await db
      .knex('device_table')
      .where({ id: maintained.id })
      .update({ maintenance_starts_at: at(12), maintenance_ends_at: at(0) });
    await lab.booking({
      deviceId: maintained.id,
      userId: user,
      from: at(15),
      to: at(9),
      status: 'confirmed',
    });

    bare = await lab.device({ type: null });
    await db.knex('device_table').where({ id: bare.id }).update({ polatis_name: null });
    twinA = (await lab.device({ type: null })).id;
    twinB = (await lab.device({ type: null })).id;
    await db.knex('device_table').whereIn('id', [twinA, twinB]).update({ polatis_name: 'TWIN' });

    await backfill(db.knex, { from: at(24 * 8), to: new Date(hi + HOUR) });
  });

  afterEach(async () => {
    await Promise.all(metrics.splice(0).map((m) => m.stop()));
  });
  after(async () => {
    await db?.drop();
  });

  function make(intervalMs = 60_000) {
    const registry = createRegistry({ defaultMetrics: false });
    const logs = captureLogs('info');
    const m = createUtilizationMetrics({ registry, knex: db.knex, intervalMs, logger: logs.logger });
    metrics.push(m);
    return { registry, logs, m };
  }

  async function ratios(registry: ReturnType<typeof createRegistry>): Promise<Value[]> {
    const metric = registry.getSingleMetric('provdb_device_utilization_ratio');
    return (await metric!.get()).values as Value[];
  }

  function ratioOf(values: Value[], device: string, window: string): number | undefined {
    return values.find((v) => v.labels.device === device && v.labels.window === window)?.value;
  }

  it('reports booked over capacity per device for 1d and 7d, labelled by name, type and site', async () => {
    const { registry, m } = make();
    assert.equal(await m.refresh(), true);
    const values = await ratios(registry);
    assert.equal(ratioOf(values, busy.polatisName, '1d'), 6 / 24);
    assert.equal(ratioOf(values, busy.polatisName, '7d'), 6 / 168);
    const labels = values.find((v) => v.labels.device === busy.polatisName)!.labels;
    assert.deepEqual(
      { device_type: labels.device_type, site: labels.site },
      { device_type: 'amplifier', site: 'Lab North' },
    );
    // Maintenance is not capacity: 3 booked hours of the 12 outside maintenance.
    assert.equal(ratioOf(values, maintained.polatisName, '1d'), 3 / 12);
    assert.equal(ratioOf(values, maintained.polatisName, '7d'), 3 / (168 - 12));
    // No name: its id; no type or site: unknown; a shared name gets the id appended.
    const nameless = values.filter((v) => v.labels.device === String(bare.id));
    assert.deepEqual(
      nameless.map((v) => [v.labels.window, v.labels.device_type, v.labels.site, v.value]),
      [
        ['1d', 'unknown', 'unknown', 0],
        ['7d', 'unknown', 'unknown', 0],
      ],
    );
    assert.ok(ratioOf(values, `TWIN #${twinA}`, '1d') === 0 && ratioOf(values, `TWIN #${twinB}`, '7d') === 0);
    // One series per device and window, nothing else.
    const devices = Number((await db.knex('device_table').count('* as n').first())?.n);
    assert.equal(values.length, devices * 2);
  });

  it('reports the lag since the last completed reconciliation, growing between refreshes', async () => {
    const { registry, m } = make();
    await m.refresh();
    // No reconciliation recorded: the lag counts from when the refresher started (not started: 0).
    const lag = async () =>
      (await registry.getSingleMetric('provdb_rollup_lag_seconds')!.get()).values[0]!.value;
    assert.equal(await lag(), 0);

    await db.knex('processed_events').insert({
      event_id: '7e57e57e-0000-4000-8000-0000000000a1',
      job_name: 'rollups.reconcile',
      outcome: 'completed',
      processed_at: new Date(Date.now() - 3 * HOUR),
      queue: 'maintenance',
      job_id: 'repeat:rollups-reconcile:1',
      attempt: 1,
    });
    await m.refresh();
    const first = await lag();
    assert.ok(first >= 3 * 3600 && first < 3 * 3600 + 30, String(first));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.ok((await lag()) >= first + 1, 'the lag grows without a refresh');

    await db.knex('processed_events').insert({
      event_id: '7e57e57e-0000-4000-8000-0000000000a2',
      job_name: 'rollups.reconcile',
      outcome: 'completed',
      processed_at: new Date(Date.now() - 60_000),
      queue: 'maintenance',
      job_id: 'repeat:rollups-reconcile:2',
      attempt: 1,
    });
    await m.refresh();
    const latest = await lag();
    assert.ok(latest >= 60 && latest < 90, String(latest));
    await db
      .knex('processed_events')
      .whereIn('job_id', ['repeat:rollups-reconcile:1', 'repeat:rollups-reconcile:2'])
      .delete();
  });

  it('keeps the last values and logs once when a refresh fails; the scrape still answers', async () => {
    const { registry, logs, m } = make();
    assert.equal(await m.refresh(), true);
    const before = await ratios(registry);
    await db.knex.raw('ALTER TABLE utilization_rollups RENAME TO utilization_rollups_away');
    try {
      assert.equal(await m.refresh(), false);
      assert.equal(await m.refresh(), false);
      assert.deepEqual(await ratios(registry), before);
      const text = await registry.metrics();
      assert.match(text, /^provdb_device_utilization_ratio\{/m);
      assert.match(text, /^provdb_rollup_lag_seconds \d/m);
      const warnings = logs.lines.filter((l) => /utilization metrics: refresh failed/.test(l.msg));
      assert.equal(warnings.length, 1, 'one warning per outage');
      assert.match(warnings[0]!.msg, /utilization_rollups/);
    } finally {
      await db.knex.raw('ALTER TABLE utilization_rollups_away RENAME TO utilization_rollups');
    }
    assert.equal(await m.refresh(), true);
    assert.ok(logs.lines.some((l) => /refreshed again/.test(l.msg)));
  });

  it('queries Postgres on its timer, never on a scrape', async () => {
    const { registry, m } = make(60_000);
    let queries = 0;
    const count = () => {
      queries += 1;
    };
    m.start();
    await waitUntil('the first refresh', async () => (await ratios(registry)).length > 0);
    db.knex.on('query', count);
    try {
      for (let i = 0; i < 5; i += 1) await registry.metrics();
      assert.equal(queries, 0);
    } finally {
      db.knex.off('query', count);
    }
  });

  it('picks up new rollups on the next timer refresh, and stops', async () => {
    const { registry, m } = make(200);
    let queries = 0;
    const count = () => {
      queries += 1;
    };
    db.knex.on('query', count);
    try {
      m.start();
      await waitUntil('a first refresh', async () => (await ratios(registry)).length > 0);
      const user = await lab.user();
      await lab.booking({ deviceId: bare.id, userId: user, from: at(2), to: at(0), status: 'confirmed' });
      await backfill(db.knex, { from: at(3), to: at(0), deviceIds: [bare.id] });
      await waitUntil('the timer to pick up the new booking', async () => {
        return ratioOf(await ratios(registry), String(bare.id), '1d') === 2 / 24;
      });
      await m.stop();
      const stopped = queries;
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(queries, stopped, 'no refresh after stop()');
    } finally {
      db.knex.off('query', count);
    }
  });

  describe('in a running worker', () => {
    let app: App | undefined;
    let prefix: string;

    after(async () => {
      await app?.close();
      if (prefix) await deletePrefix(prefix);
    });

    it('exposes the gauges on /metrics once started, and stops refreshing on shutdown', async () => {
      prefix = uniquePrefix('utilization');
      app = await createApp(testConfig(db.url, prefix, { METRICS_UTILIZATION_INTERVAL: '1s' }), {
        logger: captureLogs('warn').logger,
      });
      await app.start({ queues: ['bookings'] });
      const url = app.http.url;
      assert.ok(url, 'the HTTP server listens');
      const { samples, status } = await waitUntil('utilization in /metrics', async () => {
        const s = await scrape(url);
        return sampleValue(s.samples, 'provdb_device_utilization_ratio', { device: busy.polatisName }) !==
          undefined
          ? s
          : undefined;
      });
      assert.equal(status, 200);
      assert.equal(
        sampleValue(samples, 'provdb_device_utilization_ratio', { device: busy.polatisName, window: '1d' }),
        0.25,
      );
      assert.ok((sampleValue(samples, 'provdb_rollup_lag_seconds') ?? -1) >= 0);
      const report = await app.close();
      assert.deepEqual(report.errors, []);
    });
  });
});
