/**
 * Replay throughput: `rules replay` end to end (facts loaded in batches from Postgres, both rule
 * sets evaluated, transitions counted) on a seeded lab, next to json-rules-engine evaluating the
 * same two rule sets over the same facts already in memory (static facts: the CPU-only ceiling).
 * Target: at least 2,000 bookings (reservations) per second.
 *
 * Creates a scratch database on DATABASE_URL's server (`provdb_bench_replay_<pid>`), migrates it,
 * seeds the demo lab at the given size, measures, and drops it.
 *
 *   npm run bench:replay
 *   npx tsx bench/rules-replay.ts [--devices 120] [--users 100] [--days 30] [--per-day 300] [--batch 500] [--keep]
 *
 * The candidate rule set is the shipped one with worked example 1 of docs/rules.md added (a
 * deny for long bookings of fragile devices) and the busy-device threshold lowered, so some
 * decisions change and the candidate's changed rules are really evaluated.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrator';
import { seedLab } from '../src/demo/seed';
import type { BookingFacts } from '../src/rules/facts/catalog';
import { loadBookingFacts } from '../src/rules/facts/load';
import { evaluateGroup } from '../src/rules/group';
import { loadRuleSet } from '../src/rules/load';
import { replay } from '../src/rules/replay';
import type { RuleSetSnapshot } from '../src/rules/snapshot';

const RULES_DIR = path.resolve(__dirname, '../rules');

async function candidateDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'provdb-bench-replay-'));
  await cp(RULES_DIR, dir, { recursive: true });
  const conflicts = JSON.parse(await readFile(path.join(dir, 'conflicts.json'), 'utf8'));
  conflicts.rules.push({
    name: 'fragile-long-booking',
    conditions: {
      all: [
        { fact: 'device', path: 'tags', operator: 'contains', value: 'fragile' },
        { fact: 'booking', path: 'durationHours', operator: 'greaterThan', value: 4 },
        { fact: 'ownership', path: 'requesterIsOwner', operator: 'equal', value: false },
      ],
    },
    event: { type: 'deny', params: { code: 'FRAGILE_TOO_LONG', message: '{{device.name}} is fragile.' } },
  });
  await writeFile(path.join(dir, 'conflicts.json'), JSON.stringify(conflicts));
  const utilization = await readFile(path.join(dir, 'utilization.json'), 'utf8');
  await writeFile(
    path.join(dir, 'utilization.json'),
    utilization.replace('"operator": "greaterThan", "value": 8 }', '"operator": "greaterThan", "value": 4 }'),
  );
  return dir;
}

/** CPU seconds (user + system) a local process has used, from /proc; null where unreadable. */
function processCpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function snapshot(dir: string): Promise<RuleSetSnapshot> {
  const loaded = await loadRuleSet(dir);
  if (!loaded.ok) throw new Error(`invalid rules in ${dir}: ${JSON.stringify(loaded.errors)}`);
  return loaded.snapshot;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '120' },
      users: { type: 'string', default: '100' },
      days: { type: 'string', default: '30' },
      'per-day': { type: 'string', default: '300' },
      batch: { type: 'string', default: '500' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
    },
  });
  const config = loadConfig();
  const name = `provdb_bench_replay_${process.pid}`;
  const admin = createKnex(withDatabase(config.databaseUrl, 'postgres'), { poolMax: 1 });
  await admin.raw(`CREATE DATABASE ${ident(name)}`);
  // One connection: the replay's Postgres backend is the one whose CPU time is read.
  const knex = createKnex(withDatabase(config.databaseUrl, name), { poolMax: 1 });
  const dir = await candidateDir();
  try {
    await migrateLatest(knex);
    const seeded = performance.now();
    const summary = await seedLab(knex, {
      seed: Number(values.seed),
      devices: Number(values.devices),
      users: Number(values.users),
      historyDays: Number(values.days),
      bookingsPerDay: Number(values['per-day']),
    });
    await knex.raw('ANALYZE');
    const seedSeconds = (performance.now() - seeded) / 1000;
    const current = await snapshot(RULES_DIR);
    const candidate = await snapshot(dir);
    const now = new Date(summary.now);
    const since = new Date(now.getTime() - Number(values.days) * 86_400_000);
    console.log(
      `lab: ${summary.bookings.reservations} reservations (${summary.bookings.rows} booking rows), ` +
        `${values.devices} devices, ${values.users} users, seeded in ${seedSeconds.toFixed(1)} s; node ${process.version}`,
    );
    console.log(
      `rules in use ${current.revision} (${current.rules.booking.length} booking rules), candidate ${candidate.revision}`,
    );

    // Warm up (JIT, plans), then the measured replay of every reservation.
    await replay(knex, { current, candidate, now, since, until: new Date(since.getTime() + 86_400_000) });
    const backend = (await knex.raw<{ rows: Array<{ pid: number }> }>('SELECT pg_backend_pid() AS pid'))
      .rows[0]!.pid;
    const pgBefore = processCpuSeconds(backend);
    const nodeBefore = process.cpuUsage();
    const report = await replay(knex, { current, candidate, now, since, batchSize: Number(values.batch) });
    const nodeCpu = process.cpuUsage(nodeBefore);
    const pgAfter = processCpuSeconds(backend);
    const seconds = report.elapsedMs / 1000;
    const replayRate = report.reservations / seconds;
    const changed = Object.entries(report.transitions)
      .filter(([k, n]) => n > 0 && k.split('->')[0] !== k.split('->')[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    console.log(
      `\nreplay (load + both rule sets), batches of ${values.batch}: ${report.reservations} reservations in ` +
        `${seconds.toFixed(2)} s = ${replayRate.toFixed(0)} bookings/s; changes: ${changed || 'none'}`,
    );

    const nodeUs = (nodeCpu.user + nodeCpu.system) / report.reservations;
    const pgUs =
      pgBefore !== null && pgAfter !== null ? ((pgAfter - pgBefore) * 1e6) / report.reservations : null;
    console.log(
      `  CPU per booking: worker ${nodeUs.toFixed(0)} µs (all its threads)` +
        (pgUs === null ? '' : `, Postgres ${pgUs.toFixed(0)} µs`) +
        `; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
    );

    // The same facts, in memory: loading alone, then json-rules-engine over static facts.
    const ids = (
      await knex.raw<{ rows: Array<{ g: string }> }>(
        `SELECT grouped_booking_id AS g FROM booking_table
          WHERE NOT is_collaborator AND start_time >= ? AND status_canonical IS DISTINCT FROM 'cancelled'
          GROUP BY grouped_booking_id ORDER BY min(start_time), grouped_booking_id`,
        [since.toISOString()],
      )
    ).rows.map((r) => r.g);
    let t = performance.now();
    const facts: BookingFacts[][] = [];
    for (let i = 0; i < ids.length; i += Number(values.batch)) {
      const map = await loadBookingFacts(knex, ids.slice(i, i + Number(values.batch)), { now });
      facts.push(...map.values());
    }
    const loadSeconds = (performance.now() - t) / 1000;
    const devices = facts.reduce((n, list) => n + list.length, 0);
    console.log(
      `fact loading alone: ${facts.length} reservations (${devices} device facts) in ${loadSeconds.toFixed(2)} s = ` +
        `${(facts.length / loadSeconds).toFixed(0)} bookings/s`,
    );
    t = performance.now();
    for (const list of facts) {
      await evaluateGroup(current, list, { everyRule: true });
      await evaluateGroup(candidate, list, { everyRule: true });
    }
    const staticSeconds = (performance.now() - t) / 1000;
    const staticRate = facts.length / staticSeconds;
    console.log(
      `json-rules-engine, both rule sets in full over static facts: ${staticRate.toFixed(0)} bookings/s ` +
        `(${((1e6 * staticSeconds) / facts.length).toFixed(0)} µs per reservation)`,
    );
    console.log(
      `\nreplay target 2,000 bookings/s: ${replayRate >= 2000 ? 'met' : 'NOT met'} (${replayRate.toFixed(0)}/s; ` +
        `static evaluation ${staticRate.toFixed(0)}/s)`,
    );
  } finally {
    await knex.destroy();
    await rm(dir, { recursive: true, force: true });
    if (values.keep) console.log(`kept database ${name}`);
    else await admin.raw(`DROP DATABASE ${ident(name)} WITH (FORCE)`);
    await admin.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
