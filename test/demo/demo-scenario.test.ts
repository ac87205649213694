/**
 * The demo end to end, in this process: real Postgres and Redis, the default lab, workers started
 * by the demo, the event stream played through Redis, `--keep` until stopped. Everything the
 * summary prints is checked against what the workers wrote to the demo's database.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { loadConfig } from '../../src/config';
import { createKnex, ident, withDatabase } from '../../src/db/knex';
import { runDemo } from '../../src/demo/run';
import { RUN_ID, TEST_PG_URL, TEST_REDIS_URL } from '../support/env';
import { waitUntil } from '../support/runtime';

describe('provdb-worker demo: the event stream', function () {
  this.timeout(120_000);
  const name = `provdb_demo_test_${RUN_ID}_${process.pid}_play`;
  let admin: Knex;
  let db: Knex;
  let out = '';
  let err = '';
  let code: number | undefined;
  let scraped = '';
  let keysWhileRunning = 0;

  const redisKeys = async () => {
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
    await redis.connect();
    try {
      let count = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${name}:*`, 'COUNT', 1000);
        cursor = next;
        count += keys.length;
      } while (cursor !== '0');
      return count;
    } finally {
      redis.disconnect();
    }
  };

  before(async () => {
    admin = createKnex(TEST_PG_URL, { poolMax: 1, applicationName: 'provdb-worker-test-admin' });
    const config = loadConfig({
      DATABASE_URL: withDatabase(TEST_PG_URL, 'provdb'),
      REDIS_URL: TEST_REDIS_URL,
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const stop = new AbortController();
    const run = runDemo(
      config,
      { database: name, seed: 1, keep: true, stopSignal: stop.signal, stepTimeoutMs: 30_000 },
      {
        out: (t) => {
          out += t;
        },
        err: (t) => {
          err += t;
        },
      },
    ).then((c) => {
      code = c;
    });
    try {
      await waitUntil(
        'the demo to keep its workers running',
        () => /press Ctrl-C to stop/.test(out) || code !== undefined,
        90_000,
      );
      const url = /^Metrics: (\S+)$/m.exec(out)?.[1];
      assert.ok(url, `no metrics URL in:\n${out}`);
      scraped = await (await fetch(url)).text();
      keysWhileRunning = await redisKeys();
    } finally {
      stop.abort();
      await run;
    }
    db = createKnex(withDatabase(TEST_PG_URL, name), { poolMax: 2 });
  });

  after(async () => {
    await db?.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    await admin.destroy();
  });

  it('plays every step through the workers, each processed without failures', () => {
    assert.equal(code, 0, err);
    const processed = [...out.matchAll(/^ +processed in \d+ ms: (\d+) job\(s\) completed(, \d+ FAILED)?/gm)];
    assert.equal(processed.length, 11, out);
    assert.ok(
      processed.every((m) => m[2] === undefined),
      out,
    );
    assert.match(
      out,
      /Workers started in this process: queues bookings, devices, topologies, maintenance on prefix provdb_demo_test_/,
    );
  });

  it('counts the jobs the workers committed (processed_events), per queue', async () => {
    const rows = (await db('processed_events')
      .select('queue')
      .count<Array<{ queue: string; n: string }>>('* as n')
      .groupBy('queue')) as Array<{ queue: string; n: string }>;
    const byQueue = new Map(rows.map((r) => [r.queue, Number(r.n)]));
    const total = [...byQueue.values()].reduce((a, b) => a + b, 0);
    assert.match(out, new RegExp(`^Jobs processed: ${total} completed, 0 failed$`, 'm'));
    for (const queue of ['bookings', 'devices', 'topologies']) {
      assert.ok((byQueue.get(queue) ?? 0) > 0, `no ${queue} job was processed`);
      assert.match(out, new RegExp(`^  ${queue} +${byQueue.get(queue)} completed +0 failed$`, 'm'));
    }
    // 8 booking requests, 1 maintenance change, 3 topology events (and the rechecks they cause).
    assert.equal(
      Number((await db('processed_events').where({ job_name: 'booking.created' }).count('* as n'))[0]?.n),
      8,
    );
    const requests = await db('booking_table')
      .where({ comment: 'requested during the demo' })
      .count('* as n');
    assert.equal(Number(requests[0]?.n), 8);
  });

  it('shows the reviews the workers wrote, with their findings', async () => {
    const reviews = (await db('topology_review as r')
      .join('topology_table as t', 't.id', 'r.topology_id')
      .whereIn('r.topology_id', [2, 3, 4])
      .select('r.id', 'r.topology_id', 't.name', 'r.status')
      .orderBy('r.topology_id')) as Array<{ id: number; topology_id: number; name: string; status: string }>;
    assert.deepEqual(
      reviews.map((r) => [r.topology_id, r.status]),
      [
        [2, 'conflicts'],
        [3, 'approved'],
        [4, 'invalid'],
      ],
    );
    for (const r of reviews) {
      const findings = (await db('topology_review_findings')
        .where({ review_id: r.id })
        .select('kind', 'message')) as Array<{
        kind: string;
        message: string;
      }>;
      assert.ok(
        out.includes(`topology ${r.topology_id} "${r.name}": ${r.status}, ${findings.length} finding(s)`),
        `review of topology ${r.topology_id} not shown as ${r.status}`,
      );
      for (const f of findings.slice(0, 4))
        assert.ok(out.includes(`${f.kind}: ${f.message}`), `${f.kind} missing`);
    }
    assert.match(out, /booking_conflict: the requester's booking \d+ of device \d+/);
    assert.match(out, /edge_unknown_node: edge "e1": target "zz" is not a node/);
  });

  it('lists the most utilized devices and sites as the rollups hold them', async () => {
    const range = /^Most utilized, (\S+) (\S+)Z to (\S+) (\S+)Z/m.exec(out);
    assert.ok(range, out);
    const from = `${range[1]}T${range[2]}:00Z`;
    const to = `${range[3]}T${range[4]}:00Z`;
    // Day rows cover the range exactly (it is whole days): summed here without utilizationBy.
    const { rows } = await db.raw<{
      rows: Array<{ label: string; site: string; booked: number; capacity: number }>;
    }>(
      `SELECT coalesce(l.device_name, l.polatis_name) AS label, l.site_name AS site,
              sum(r.booked_seconds)::float8 AS booked, sum(r.capacity_seconds)::float8 AS capacity
         FROM utilization_rollups r JOIN linked_devices l ON l.device_id = r.device_id
        WHERE r.granularity = 'day' AND r.bucket_start >= ? AND r.bucket_start < ?
        GROUP BY 1, 2`,
      [from, to],
    );
    const devices = rows
      .filter((r) => r.capacity > 0)
      .map((r) => ({ ...r, u: r.booked / r.capacity }))
      .sort((a, b) => b.u - a.u);
    const top = devices[0];
    assert.ok(top && top.booked > 0);
    const deviceBlock = out.slice(out.indexOf('Most utilized'), out.indexOf('  sites'));
    const printed = [...deviceBlock.matchAll(/^ {4}(\S+) +([\d.]+)% +(\d+) h booked$/gm)];
    assert.equal(printed.length, 5);
    assert.equal(printed[0]?.[1], top.label);
    assert.equal(printed[0]?.[2], (100 * top.u).toFixed(1));
    assert.equal(Number(printed[0]?.[3]), Math.round(top.booked / 3600));
    const sites = new Map<string | null, { booked: number; capacity: number }>();
    for (const r of rows) {
      const s = sites.get(r.site) ?? { booked: 0, capacity: 0 };
      s.booked += r.booked;
      s.capacity += r.capacity;
      sites.set(r.site, s);
    }
    for (const [site, s] of sites) {
      if (site === null || s.capacity === 0) continue;
      assert.match(
        out,
        new RegExp(
          `^ {4}${site} +${(100 * (s.booked / s.capacity)).toFixed(1)}% +${Math.round(s.booked / 3600)} h booked`,
          'm',
        ),
      );
    }
  });

  it('decides each request as the shipped rules say, and prints the decisions the workers wrote', async () => {
    // Each step's "decided:" line names the booking and the outcome read back after the step.
    const decided = [...out.matchAll(/decided: booking (\d+) (\w+)$/gm)].map((m) => [Number(m[1]), m[2]]);
    assert.deepEqual(
      decided.map(([, outcome]) => outcome),
      ['allow', 'allow', 'deny', 'require_approval', 'require_approval', 'deny', 'allow', 'deny', 'deny'],
      out,
    );
    const latest = new Map(
      (
        (await db('booking_decisions')
          .distinctOn('booking_id')
          .orderBy([{ column: 'booking_id' }, { column: 'id', order: 'desc' }])
          .select('booking_id', 'outcome', 'reasons', 'trigger')) as Array<{
          booking_id: number;
          outcome: string;
          reasons: Array<{ message: string; code: string }>;
          trigger: string;
        }>
      ).map((r) => [r.booking_id, r]),
    );
    for (const [bookingId, outcome] of decided)
      assert.equal(latest.get(bookingId as number)?.outcome, outcome);
    const reasons = (i: number) => latest.get(decided[i]?.[0] as number)?.reasons.map((r) => r.message) ?? [];
    // The conflict is denied with the next free window; the 96 h request for the lab's maximum.
    assert.match(
      reasons(2).join('\n'),
      /already booked in this window by confirmed booking\(s\) \d+\. Next free window/,
    );
    assert.match(reasons(4).join('\n'), /12 hours on 1 device\(s\) is beyond what \w+ may approve/);
    assert.match(reasons(5).join('\n'), /96 hours is longer than the lab's maximum of 72 hours/);
    assert.match(reasons(7).join('\n'), /your booking number 4 not yet over; the limit is 3/);
    // The maintenance re-evaluated the booking it hits (a follow-up on the maintenance queue).
    const maintenance = latest.get(decided[8]?.[0] as number);
    assert.equal(maintenance?.trigger, 'booking.reevaluate');
    assert.match(maintenance?.reasons[0]?.message ?? '', /is in maintenance from/);

    // The summary: counts by outcome, and one example of each with its reasons' messages.
    const counts = (await db('booking_decisions')
      .select('outcome')
      .count<Array<{ outcome: string; n: string }>>('* as n')
      .groupBy('outcome')) as Array<{ outcome: string; n: string }>;
    const total = counts.reduce((a, c) => a + Number(c.n), 0);
    assert.match(out, new RegExp(`^Booking decisions: ${total}$`, 'm'));
    const label: Record<string, string> = {
      allow: 'allowed',
      require_approval: 'approval required',
      deny: 'denied',
    };
    for (const c of counts) {
      assert.match(out, new RegExp(`^  ${label[c.outcome]} +${c.n}$`, 'm'));
      const example = new RegExp(`^  Example, ${label[c.outcome]}: booking (\\d+) \\(`, 'm').exec(out);
      assert.ok(example, `no example of ${c.outcome}`);
      const shown = latest.get(Number(example[1]));
      assert.equal(shown?.outcome, c.outcome);
      const block = out.slice(example.index, out.indexOf('\n\n', example.index));
      for (const r of shown?.reasons ?? []) assert.ok(block.includes(`    - ${r.message}`), r.message);
    }
    // The denied example is the stream's first denial: the conflict, with its next free window.
    assert.match(
      out,
      /Example, denied: booking \d+ \(\w+, ROADM-\w+, [^)]*booking\.created\)\n {4}- .*Next free window/,
    );
  });

  it('keeps the workers and /metrics running until stopped, then removes its queue keys', async () => {
    assert.match(scraped, /provdb_jobs_processed_total\{[^}]*queue="bookings"/);
    assert.ok(keysWhileRunning > 0, 'the demo queues were not in Redis while it ran');
    assert.equal(await redisKeys(), 0, 'the demo left keys under its prefix');
  });
});
