// Running workers (createApp, real Postgres and Redis, the shipped handler modules): two worker
// runtimes deciding overlapping bookings of one device in enforce mode, and hot reload of the
// rules in a running worker, whose rules.changed fan-out decides the reservations again.
import assert from 'node:assert/strict';
import { type App, createApp } from '../../src/app';
import { BookingLab } from '../rules/booking-lab';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { sampleValue, scrape } from '../support/metrics';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { captureLogs, testConfig, waitUntil } from '../support/runtime';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';
import { decisionsOf } from './support';

const HOUR = 3_600_000;

/** A whole hour some days ahead of the real clock: the running workers decide at the real time. */
function ahead(days: number): Date {
  return new Date(Math.ceil(Date.now() / HOUR) * HOUR + days * 24 * HOUR);
}

describe('decisions in running workers', function () {
  this.timeout(90_000);
  this.slow(15_000);
  let db: TestDatabase;
  let lab: BookingLab;
  const apps: App[] = [];
  const prefixes: string[] = [];

  before(async () => {
    db = await migratedDatabase();
    lab = new BookingLab(db.knex);
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const prefix of prefixes) await deletePrefix(prefix);
    await db?.drop();
  });

  async function worker(
    prefix: string,
    env: Record<string, string> = {},
    rulesDebounceMs = 250,
    logs = captureLogs('warn'),
  ): Promise<App> {
    const app = await createApp(testConfig(db.url, prefix, env), {
      logger: logs.logger,
      tuning: { rulesDebounceMs },
    });
    apps.push(app);
    return app;
  }

  /** Waits until every booking has a decision. */
  async function waitForDecisions(bookings: readonly number[]): Promise<void> {
    await waitUntil(
      'every booking to be decided',
      async () =>
        Number((await db.knex('booking_decisions').whereIn('booking_id', bookings).count('* as n'))[0]!.n) ===
        bookings.length,
      60_000,
    );
  }

  /** Pairs of confirmed bookings of these devices that overlap (there must be none). */
  async function confirmedOverlaps(devices: readonly number[]): Promise<Array<{ a: number; b: number }>> {
    const { rows } = await db.knex.raw(
      `SELECT x.booking_id AS a, y.booking_id AS b FROM booking_table x JOIN booking_table y
          ON x.device_id = y.device_id AND x.booking_id < y.booking_id
         AND x.start_time < y.end_time AND y.start_time < x.end_time
       WHERE x.status_canonical = 'confirmed' AND y.status_canonical = 'confirmed' AND x.device_id = ANY(?)`,
      [[...devices]],
    );
    return rows;
  }

  it('two workers deciding many overlapping bookings of one device in enforce mode never confirm two that overlap', async () => {
    const prefix = uniquePrefix('decisions-race');
    prefixes.push(prefix);
    await lab.setting('rules.enforcement', 'enforce');
    const device = await lab.device({ inventory: {} });
    const start = ahead(3);
    // 24 one-device reservations, each 3 h, starting an hour apart: each overlaps its two
    // neighbours on either side, so most of them lose to one another.
    const bookings: number[] = [];
    for (let i = 0; i < 24; i += 1) {
      const from = new Date(start.getTime() + i * HOUR);
      bookings.push(
        await lab.booking({
          device,
          user: await lab.user(),
          start: from,
          end: new Date(from.getTime() + 3 * HOUR),
        }),
      );
    }
    const [a, b] = [await worker(prefix), await worker(prefix)];
    await Promise.all([a.start({ queues: ['bookings'] }), b.start({ queues: ['bookings'] })]);
    for (const bookingId of bookings) await a.deps.producer.enqueue('booking.created', { bookingId });

    await waitForDecisions(bookings);
    const counts = await a.deps.producer.queue('bookings').getJobCounts('completed', 'failed');
    assert.deepEqual(counts, { completed: bookings.length, failed: 0 }, 'no job failed');

    assert.deepEqual(await confirmedOverlaps([device]), [], 'no two confirmed bookings overlap');

    const rows = (await db
      .knex('booking_table')
      .whereIn('booking_id', bookings)
      .select('booking_id', 'status')) as Array<{
      booking_id: number;
      status: string;
    }>;
    const status = new Map(rows.map((r) => [r.booking_id, r.status]));
    const confirmed = rows.filter((r) => r.status === 'confirmed').map((r) => r.booking_id);
    assert.ok(confirmed.length >= 6, `at least every fourth booking fits (confirmed: ${confirmed.length})`);
    for (const bookingId of bookings) {
      const decision = (await db.knex('booking_decisions').where({ booking_id: bookingId }).first()) as {
        outcome: string;
        mode: string;
        status_after: string;
        reasons: Array<{ code: string; message: string }>;
      };
      assert.equal(decision.mode, 'enforce');
      assert.equal(decision.status_after, status.get(bookingId));
      if (status.get(bookingId) === 'confirmed') {
        assert.equal(decision.outcome, 'allow', `booking ${bookingId}`);
        continue;
      }
      // The loser: a deny naming confirmed booking(s) that overlap it.
      assert.equal(status.get(bookingId), 'rejected', `booking ${bookingId}`);
      assert.equal(decision.outcome, 'deny', `booking ${bookingId}`);
      const reason = decision.reasons.find((r) => r.code === 'OVERLAP_CONFIRMED');
      assert.ok(reason, JSON.stringify(decision.reasons));
      const named = [...reason.message.matchAll(/\b(\d+)\b/g)]
        .map((m) => Number(m[1]))
        .filter((id) => confirmed.includes(id));
      assert.ok(named.length > 0, `booking ${bookingId}: ${reason.message} names a confirmed booking`);
    }

    // Each worker counts what it decided; together, one decision per booking.
    let total = 0;
    for (const app of [a, b]) {
      for (const outcome of ['allow', 'require_approval', 'deny']) {
        total +=
          sampleValue((await scrape(String(app.http.url))).samples, 'provdb_booking_decisions_total', {
            outcome,
          }) ?? 0;
      }
    }
    assert.equal(total, bookings.length);
  });

  it('two busy workers deciding a backlog in batches, in enforce mode: each event once, never two overlapping confirmed', async () => {
    const prefix = uniquePrefix('decisions-batches');
    prefixes.push(prefix);
    await lab.setting('rules.enforcement', 'enforce');
    const devices = [await lab.device({ inventory: {} }), await lab.device({ inventory: {} })];
    const start = ahead(5);
    // 40 two-hour requests an hour apart on two devices: each overlaps its neighbours.
    const bookings: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      const from = new Date(start.getTime() + Math.floor(i / 2) * HOUR);
      bookings.push(
        await lab.booking({
          device: devices[i % 2]!,
          user: await lab.user(),
          start: from,
          end: new Date(from.getTime() + 2 * HOUR),
        }),
      );
    }
    const env = { WORKER_CONCURRENCY: '2', WORKER_BATCH_SIZE: '8' };
    const logs = captureLogs('info');
    const [a, b] = [await worker(prefix, env, 250, logs), await worker(prefix, env, 250, logs)];
    // The backlog is there before the workers start: they take it in batches.
    for (const bookingId of bookings) await a.deps.producer.enqueue('booking.created', { bookingId });
    await Promise.all([a.start({ queues: ['bookings'] }), b.start({ queues: ['bookings'] })]);
    await waitForDecisions(bookings);
    const counts = await a.deps.producer.queue('bookings').getJobCounts('completed', 'failed');
    assert.deepEqual(counts, { completed: bookings.length, failed: 0 }, 'no job failed');
    const processed = await db
      .knex('processed_events')
      .where({ job_name: 'booking.created', queue: 'bookings' })
      .whereRaw(`results->'rules'->>'groupedBookingId' IS NOT NULL`)
      .whereIn(
        'job_id',
        (await a.deps.producer.queue('bookings').getJobs(['completed'], 0, 100)).map((j) => String(j.id)),
      );
    assert.equal(processed.length, bookings.length, 'one processed_events row per event, with its results');

    assert.deepEqual(await confirmedOverlaps(devices), [], 'no two confirmed bookings overlap');
    const statuses = (await db
      .knex('booking_table')
      .whereIn('booking_id', bookings)
      .pluck('status')) as string[];
    assert.ok(
      statuses.every((st) => st === 'confirmed' || st === 'rejected'),
      statuses.join(', '),
    );
    assert.ok(
      statuses.filter((st) => st === 'confirmed').length >= 10,
      'every other booking of a device fits',
    );

    // Batches were formed, and committed (none split: no event failed).
    const split = logs.raw.filter((line) => line.includes('rolled back'));
    assert.deepEqual(split, [], 'no batch rolled back (taken device by device, they do not deadlock)');
    let committed = 0;
    let events = 0;
    for (const app of [a, b]) {
      const { samples } = await scrape(String(app.http.url));
      const labels = { job: 'booking.created', outcome: 'committed' };
      committed += sampleValue(samples, 'provdb_event_batch_size_count', labels) ?? 0;
      events += sampleValue(samples, 'provdb_event_batch_size_sum', labels) ?? 0;
      assert.equal(
        sampleValue(samples, 'provdb_event_batch_size_count', { job: 'booking.created', outcome: 'split' }) ??
          0,
        0,
      );
    }
    assert.ok(committed >= 2, `batches committed: ${committed}`);
    assert.ok(events >= 16, `events decided in batches: ${events}`);
  });

  it('announces rules.changed at start when the latest decision was made with another revision (a deploy), once', async () => {
    await db.knex('admin_settings').where({ key: 'rules.enforcement' }).delete();
    const device = await lab.device({ inventory: {} });
    const start = ahead(9);
    const { group, ids } = await lab.reservation([
      { device, user: await lab.user(), start, end: new Date(start.getTime() + HOUR) },
    ]);
    // The latest decision, made by the rules of the previous deploy.
    await db.knex('booking_decisions').insert({
      booking_id: ids[0]!,
      grouped_booking_id: group,
      outcome: 'deny',
      reasons: JSON.stringify([]),
      ruleset_revision: 'feedfacecafe',
      event_id: '3d1e5f7a-9b2c-4d4e-8f60-718293a4b5c1',
      trigger: 'booking.created',
      mode: 'advisory',
      status_before: 'pending',
      status_after: 'pending',
      evaluated_at: new Date(),
    });
    const prefix = uniquePrefix('decisions-deploy');
    prefixes.push(prefix);
    const first = await worker(prefix, {}, 250, captureLogs('info'));
    await first.start({ queues: ['maintenance'] });
    const decisions = await waitUntil('the reservation to be decided again', async () => {
      const rows = await decisionsOf(db.knex, group);
      return rows.length === 2 ? rows : undefined;
    });
    assert.deepEqual(
      [decisions[1]!.trigger, decisions[1]!.outcome, decisions[1]!.ruleset_revision],
      ['booking.reevaluate', 'allow', first.deps.rules.revision],
    );

    const logs = captureLogs('info');
    const second = await worker(prefix, {}, 250, logs);
    await second.start({ queues: ['maintenance'] });
    assert.ok(logs.lines.some((l) => /^provdb-worker started/.test(l.msg)));
    assert.ok(
      !logs.lines.some((l) => l.msg.includes('announcing rules.changed')),
      'the latest decision has the revision in use now: nothing to announce',
    );
  });

  describe('hot reload', () => {
    let rules: TempRules;
    after(async () => {
      await rules?.remove();
    });

    it('reloads a valid change (new revision, rules.changed decides again) and keeps the last good set on a broken one', async () => {
      await db.knex('admin_settings').where({ key: 'rules.enforcement' }).delete();
      rules = await copyShippedRules();
      const prefix = uniquePrefix('decisions-reload');
      prefixes.push(prefix);
      const app = await worker(prefix, { RULES_DIR: rules.dir }, 50);
      await app.start({ queues: ['bookings', 'maintenance'] });
      const first = app.deps.rules.revision as string;
      const metrics = async () => (await scrape(String(app.http.url))).samples;
      const revisionShown = async () =>
        (await metrics()).find((s) => s.name === 'provdb_rules_revision_info')?.labels.revision;
      assert.equal(await revisionShown(), first);
      const ready = (await (await fetch(`${app.http.url}/readyz`)).json()) as {
        checks: Record<string, unknown>;
      };
      assert.ok(JSON.stringify(ready).includes('rules loaded'), JSON.stringify(ready));

      const device = await lab.device({ inventory: {} });
      const { group, ids } = await lab.reservation([
        { device, user: await lab.user(), start: ahead(5), end: new Date(ahead(5).getTime() + 2 * HOUR) },
      ]);
      await app.deps.producer.enqueue('booking.created', { bookingId: ids[0]! });
      await waitUntil('the first decision', async () => (await decisionsOf(db.knex, group)).length === 1);
      assert.deepEqual(
        (await decisionsOf(db.knex, group)).map((d) => [d.outcome, d.ruleset_revision]),
        [['allow', first]],
      );

      // A valid change: a new policy that denies bookings longer than an hour.
      await rules.write('short-only.json', JSON.stringify(SHORT_ONLY));
      const second = await waitUntil('the new revision', () => {
        const revision = app.deps.rules.revision;
        return revision !== first ? revision : undefined;
      });
      assert.equal(await revisionShown(), second);
      // rules.changed fans out; the reservation is decided again with the new revision.
      const decisions = await waitUntil('the re-evaluation', async () => {
        const rows = await decisionsOf(db.knex, group);
        return rows.length === 2 ? rows : undefined;
      });
      assert.deepEqual(
        decisions.map((d) => [d.trigger, d.outcome, d.ruleset_revision]),
        [
          ['booking.created', 'allow', first],
          ['booking.reevaluate', 'deny', second],
        ],
      );
      assert.deepEqual(
        decisions[1]!.reasons.map((r) => r.code),
        ['TOO_LONG'],
      );

      // A broken change: the last good set stays in use and the failure is counted.
      await rules.write('short-only.json', '{ "policy": "short-only", ');
      await waitUntil(
        'the failed reload to be counted',
        async () => sampleValue(await metrics(), 'provdb_rules_reload_failures_total') === 1,
      );
      assert.equal(app.deps.rules.revision, second);
      assert.equal(await revisionShown(), second);
      await app.deps.producer.enqueue('booking.updated', {
        bookingId: ids[0]!,
        previous: { deviceId: device, startTime: ahead(5).toISOString(), endTime: ahead(5).toISOString() },
      });
      const afterBroken = await waitUntil('a decision after the broken change', async () => {
        const rows = await decisionsOf(db.knex, group);
        return rows.length === 3 ? rows[2] : undefined;
      });
      assert.deepEqual([afterBroken.outcome, afterBroken.ruleset_revision], ['deny', second]);
    });
  });
});

const SHORT_ONLY = {
  policy: 'short-only',
  appliesTo: 'booking',
  description: 'Bookings last at most an hour (a test policy).',
  rules: [
    {
      name: 'too-long',
      description: 'Longer than an hour.',
      conditions: { all: [{ fact: 'booking', path: 'durationHours', operator: 'greaterThan', value: 1 }] },
      event: {
        type: 'deny',
        params: { code: 'TOO_LONG', message: 'At most an hour, not {{booking.durationHours}}.' },
      },
    },
  ],
};
