/**
 * `npm run bench [-- --quick]`: the benchmark suite in one run (a script, not a test). Measures,
 * side by side on this machine's Postgres and Redis (DATABASE_URL's server, REDIS_URL; every
 * database and queue prefix it uses is its own and removed afterwards):
 *
 * - booking events through the real runtime and handlers vs a no-op BullMQ worker and a worker
 *   committing one Postgres transaction per job (bench/decisions.ts), saturated at three sizes
 *   and paced at 200 events/s;
 * - rules replay vs json-rules-engine over static facts (bench/rules-replay.ts, when the build
 *   has it), and the shipped rules' evaluation rate (bench/rules-eval.ts);
 * - rollup backfill vs the reference SQL at three sizes, with the Node process's peak memory
 *   (bench/rollups.ts, one child process per size);
 * - topology review of 10 / 1,000 / 10,000 nodes (bench/topology.ts).
 *
 * Prints a table and writes bench/results.json. `--quick` (about a minute or two) uses small
 * sizes, for trying the suite; the figures in docs/performance.md come from a full run.
 * `--only decisions,topology` runs some parts; results.json keeps the other parts' latest figures.
 * `--rollup-bookings 10000,30000,100000 --rollup-devices 100 --rollup-years 1` changes the rollup
 * data sets (the full run's 1M bookings over 500 devices and two years takes 5-10 minutes alone).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config';
import { createKnex, withDatabase } from '../src/db/knex';
import { benchDecisions, type DecisionBenchResult, type RunResult } from './decisions';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** Some parts only, comma-separated: decisions, rules, rollups, topology. */
    only: { type: 'string' },
    /** Rollup data sets instead of the mode's: bookings (comma-separated), devices, years. */
    'rollup-bookings': { type: 'string' },
    'rollup-devices': { type: 'string' },
    'rollup-years': { type: 'string' },
  },
});
const QUICK = values.quick === true;
const ONLY = values.only ? new Set(String(values.only).split(',')) : null;
const want = (part: string) => ONLY === null || ONLY.has(part);

const SIZES: {
  decisions: number[];
  pacedSeconds: number;
  rollups: { bookings: number[]; devices: number; years: number };
  topologyRuns: number;
  rulesSeconds: number;
} = QUICK
  ? {
      decisions: [100, 200, 400],
      pacedSeconds: 2,
      rollups: { bookings: [2_500, 5_000, 10_000], devices: 20, years: 1 },
      topologyRuns: 3,
      rulesSeconds: 1,
    }
  : {
      decisions: [500, 1_500, 4_500],
      pacedSeconds: 10,
      rollups: { bookings: [100_000, 300_000, 1_000_000], devices: 500, years: 2 },
      topologyRuns: 7,
      rulesSeconds: 3,
    };

if (values['rollup-bookings'])
  SIZES.rollups.bookings = String(values['rollup-bookings']).split(',').map(Number);
if (values['rollup-devices']) SIZES.rollups.devices = Number(values['rollup-devices']);
if (values['rollup-years']) SIZES.rollups.years = Number(values['rollup-years']);

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);

interface Row {
  section: string;
  measure: string;
  size: string;
  value: string;
  baseline: string;
  ratio: string;
}

interface Target {
  target: string;
  figure: string;
  met: boolean | null;
}

async function machine(): Promise<Record<string, unknown>> {
  const config = loadConfig();
  const knex = createKnex(withDatabase(config.databaseUrl, 'postgres'), { poolMax: 1 });
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const pg = await knex.raw<{ rows: Array<{ v: string }> }>(
      `SELECT current_setting('server_version') AS v`,
    );
    await redis.connect();
    const info = await redis.info('server');
    return {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      postgres: pg.rows[0]?.v,
      redis: /redis_version:(\S+)/.exec(info)?.[1],
      loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
    };
  } finally {
    redis.disconnect();
    await knex.destroy();
  }
}

/** Runs a bench script as its own process; stdout is returned, stderr (progress) passes through. */
function script(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [path.join(ROOT, 'bench', file), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`bench/${file} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

const fmt = (x: number, digits = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

function decisionRows(result: DecisionBenchResult, rows: Row[], targets: Target[]): void {
  const find = (kind: string, mode: string, events?: number) =>
    result.runs.find(
      (r) => r.kind === kind && r.mode === mode && (events === undefined || r.events === events),
    );
  const label: Record<string, string> = {
    noop: 'no-op BullMQ worker',
    tx: 'one Postgres transaction per job',
    handlers: 'the application, every shipped handler',
  };
  for (const r of result.runs.filter((x) => x.mode === 'saturated')) {
    const tx = find('tx', 'saturated', r.events) as RunResult;
    const noop = find('noop', 'saturated', r.events) as RunResult;
    rows.push({
      section: 'booking events, saturated',
      measure: `${label[r.kind]}: events/s (p50 / p99 ms incl. queueing)`,
      size: `${fmt(r.events)} events`,
      value: `${fmt(r.eventsPerSecond)} (${fmt(r.p50Ms)} / ${fmt(r.p99Ms)})`,
      baseline: r.kind === 'noop' ? '' : `tx ${fmt(tx.eventsPerSecond)}, no-op ${fmt(noop.eventsPerSecond)}`,
      ratio:
        r.kind === 'noop'
          ? ''
          : r.kind === 'tx'
            ? `${fmt(r.eventsPerSecond / noop.eventsPerSecond, 2)} of no-op`
            : `${fmt(r.eventsPerSecond / tx.eventsPerSecond, 2)} of tx, ${fmt(r.eventsPerSecond / noop.eventsPerSecond, 2)} of no-op`,
    });
  }
  for (const r of result.runs.filter((x) => x.mode === 'paced')) {
    rows.push({
      section: `booking events, paced ${r.rate}/s`,
      measure: `${label[r.kind]}: p50 / p99 / max ms (achieved events/s)`,
      size: `${fmt(r.events)} events`,
      value: `${fmt(r.p50Ms, 1)} / ${fmt(r.p99Ms, 1)} / ${fmt(r.maxMs, 1)} (${fmt(r.eventsPerSecond)})`,
      baseline: '',
      ratio: '',
    });
  }
  const largest = Math.max(...result.runs.map((r) => r.events));
  const h = find('handlers', 'saturated', largest);
  const tx = find('tx', 'saturated', largest);
  if (h && tx) {
    targets.push({
      target: 'decision throughput >= 40% of one-transaction-per-job',
      figure: `${fmt((100 * h.eventsPerSecond) / tx.eventsPerSecond)}% (${fmt(h.eventsPerSecond)} vs ${fmt(tx.eventsPerSecond)} events/s, ${fmt(largest)} events)`,
      met: h.eventsPerSecond >= 0.4 * tx.eventsPerSecond,
    });
  }
  const paced = find('handlers', 'paced');
  if (paced) {
    targets.push({
      target: `p99 < 50 ms at ${paced.rate} events/s`,
      figure: `p99 ${fmt(paced.p99Ms, 1)} ms (kept up at ${fmt(paced.eventsPerSecond)} events/s)`,
      met: paced.p99Ms < 50,
    });
  }
  const decided = result.runs.filter((r) => r.kind === 'handlers');
  if (decided.some((r) => r.decisionsWritten === null)) {
    rows.push({
      section: 'booking events',
      measure: 'booking decisions written',
      size: '',
      value: 'none: this build has no booking_decisions table (handlers ran: rollups, topology fan-out)',
      baseline: '',
      ratio: '',
    });
  } else {
    const written = decided.reduce((a, r) => a + (r.decisionsWritten ?? 0), 0);
    const events = decided.reduce((a, r) => a + r.events, 0);
    rows.push({
      section: 'booking events',
      measure: 'booking decisions written / events (handlers runs)',
      size: '',
      value: `${fmt(written)} / ${fmt(events)}`,
      baseline: '',
      ratio: '',
    });
  }
}

async function rulesRows(rows: Row[], targets: Target[], results: Record<string, unknown>): Promise<void> {
  if (existsSync(path.join(ROOT, 'bench', 'rules-replay.ts'))) {
    // bench/rules-replay.ts: replay end to end on a seeded lab, and json-rules-engine over the same
    // facts in memory (it prints its figures; parsed here).
    const out = await script(
      'rules-replay.ts',
      QUICK ? ['--devices', '60', '--users', '50', '--days', '10', '--per-day', '150'] : [],
    );
    const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
    const replay = {
      replayPerSecond: num(/ = (\d+) bookings\/s; changes/),
      factLoadingPerSecond: num(/fact loading alone: .* = (\d+) bookings\/s/),
      staticJsonRulesEnginePerSecond: num(
        /json-rules-engine, both rule sets in full over static facts: (\d+) bookings\/s/,
      ),
      reservations: num(/: (\d+) reservations in [\d.]+ s/),
      output: out.trim().split('\n'),
    };
    if (!Number.isFinite(replay.replayPerSecond))
      throw new Error(`bench/rules-replay.ts printed no replay rate:\n${out}`);
    results.rulesReplay = replay;
    rows.push({
      section: 'rules replay',
      measure:
        'replay (facts from Postgres, both rule sets) bookings/s vs json-rules-engine over static facts',
      size: `${fmt(replay.reservations)} reservations`,
      value: fmt(replay.replayPerSecond),
      baseline: fmt(replay.staticJsonRulesEnginePerSecond),
      ratio: fmt(replay.replayPerSecond / replay.staticJsonRulesEnginePerSecond, 2),
    });
    rows.push({
      section: 'rules replay',
      measure: 'fact loading alone, bookings/s',
      size: `${fmt(replay.reservations)} reservations`,
      value: fmt(replay.factLoadingPerSecond),
      baseline: '',
      ratio: '',
    });
    targets.push({
      target: 'replay >= 2,000 bookings/s',
      figure: `${fmt(replay.replayPerSecond)} bookings/s (static json-rules-engine ${fmt(replay.staticJsonRulesEnginePerSecond)}/s)`,
      met: replay.replayPerSecond >= 2000,
    });
  } else {
    results.rulesReplay = {
      measured: false,
      reason: 'replay lands with the rules replay benchmark (bench/rules-replay.ts), not in this build',
    };
    rows.push({
      section: 'rules replay',
      measure: 'bookings/s vs json-rules-engine over static facts',
      size: '',
      value: 'not measured: replay lands with bench/rules-replay.ts (not in this build)',
      baseline: '',
      ratio: '',
    });
    targets.push({
      target: 'replay >= 2,000 bookings/s',
      figure: 'not measured (no replay in this build)',
      met: null,
    });
  }
  const out = await script('rules-eval.ts', [String(SIZES.rulesSeconds)]);
  const rate = (label: string) =>
    Number(new RegExp(`^${label}\\s+(\\d+) /s`, 'm').exec(out)?.[1] ?? Number.NaN);
  const evaluation = {
    sequentialPerSecond: rate('evaluate, one at a time'),
    concurrentPerSecond: rate('evaluate, 50 at a time \\(concurrent on one snapshot\\)'),
    groupPerSecond: rate('evaluateGroup, 3-device reservations'),
  };
  results.rulesEval = evaluation;
  rows.push({
    section: 'rules evaluation (CPU only)',
    measure: 'shipped booking rules over static facts: evaluations/s, one at a time / 50 concurrent',
    size: '5 fact variants',
    value: `${fmt(evaluation.sequentialPerSecond)} / ${fmt(evaluation.concurrentPerSecond)}`,
    baseline: '',
    ratio: '',
  });
}

async function rollupRows(rows: Row[], targets: Target[], results: Record<string, unknown>): Promise<void> {
  const out: Array<Record<string, number | boolean>> = [];
  const { bookings, devices, years } = SIZES.rollups;
  for (const n of bookings) {
    log(`rollups: ${fmt(n)} bookings over ${devices} devices and ${years} year(s)`);
    const db = `provdb_bench_rollups_${process.pid}_${n}`;
    try {
      const json = await script('rollups.ts', [
        '--bookings',
        String(n),
        '--devices',
        String(devices),
        '--years',
        String(years),
        '--events',
        QUICK ? '50' : '200',
        '--database',
        db,
      ]);
      out.push(JSON.parse(json));
    } finally {
      const knex = createKnex(withDatabase(loadConfig().databaseUrl, 'postgres'), { poolMax: 1 });
      await knex.raw(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await knex.destroy();
    }
  }
  results.rollups = out;
  for (const r of out) {
    const size = `${fmt(Number(r.bookings))} bookings, ${fmt(Number(r.hourRows))} hour rows`;
    rows.push({
      section: 'rollup backfill',
      measure: 'backfill s vs reference SQL storing the same rows (one INSERT ... SELECT)',
      size,
      value: fmt(Number(r.backfillSeconds), 1),
      baseline: fmt(Number(r.storedBaselineSeconds), 1),
      ratio: fmt(Number(r.ratioToStored), 2),
    });
    rows.push({
      section: 'rollup backfill',
      measure: 'backfill s vs reference SQL computing only (nothing stored)',
      size,
      value: fmt(Number(r.backfillSeconds), 1),
      baseline: fmt(Number(r.baselineSeconds), 1),
      ratio: fmt(Number(r.ratioToComputeOnly), 1),
    });
    rows.push({
      section: 'rollup backfill',
      measure: 'Node peak RSS MiB (whole bench process); incremental event median ms',
      size,
      value: `${fmt(Number(r.nodePeakRssMiB))} MiB; ${fmt(Number(r.incrementalMedianMs), 1)} ms`,
      baseline: '',
      ratio: '',
    });
  }
  const last = out[out.length - 1];
  if (last) {
    targets.push({
      target: 'rollup backfill within 1.5x of the reference SQL',
      figure: `${fmt(Number(last.ratioToStored), 2)}x the storing SQL, ${fmt(Number(last.ratioToComputeOnly), 1)}x the compute-only SQL (${fmt(Number(last.bookings))} bookings)`,
      met: Number(last.ratioToStored) <= 1.5,
    });
  }
}

async function topologyRows(rows: Row[], targets: Target[], results: Record<string, unknown>): Promise<void> {
  const out = await script('topology.ts', ['--runs', String(SIZES.topologyRuns)]);
  const parsed = [
    ...out.matchAll(/^(clean|conflicting)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+([\d.]+)\s+([\d.]+)$/gm),
  ].map((m) => ({
    shape: m[1] as string,
    nodes: Number(m[2]),
    edges: Number(m[3]),
    findings: Number(m[4]),
    outcome: m[5] as string,
    cpuMs: Number(m[6]),
    wallMs: Number(m[7]),
  }));
  if (parsed.length === 0) throw new Error(`bench/topology.ts printed no result lines:\n${out}`);
  results.topology = parsed;
  for (const t of parsed) {
    rows.push({
      section: 'topology review',
      measure: `parse + review, ${t.shape} (${t.outcome}, ${fmt(t.findings)} findings): wall ms (CPU ms)`,
      size: `${fmt(t.nodes)} nodes`,
      value: `${fmt(t.wallMs, 1)} (${fmt(t.cpuMs, 1)})`,
      baseline: '',
      ratio: '',
    });
  }
  const worst = Math.max(...parsed.filter((t) => t.nodes === 10_000).map((t) => t.wallMs));
  targets.push({
    target: '10,000-node review < 1 s',
    figure: `${fmt(worst, 1)} ms (slower shape)`,
    met: worst < 1000,
  });
}

function table(rows: Row[]): string {
  const header: Row = {
    section: 'section',
    measure: 'measure',
    size: 'size',
    value: 'value',
    baseline: 'baseline',
    ratio: 'ratio',
  };
  const keys = Object.keys(header) as Array<keyof Row>;
  const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  const line = (r: Row) =>
    keys
      .map((k, i) => r[k].padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const PARTS = ['decisions', 'rules', 'rollups', 'topology'] as const;
type Part = (typeof PARTS)[number];

interface PartResult {
  measuredAt: string;
  mode: 'quick' | 'full';
  revision: string | undefined;
  seconds: number;
  /** Load average when the part started: the machine is shared. */
  loadAverage: number[];
  data: Record<string, unknown>;
  rows: Row[];
  targets: Target[];
}

async function runPart(part: Part): Promise<PartResult> {
  const started = Date.now();
  const loadAverage = os.loadavg().map((x) => +x.toFixed(2));
  const rows: Row[] = [];
  const targets: Target[] = [];
  const data: Record<string, unknown> = {};
  if (part === 'decisions') {
    const config = loadConfig();
    const decisions = await benchDecisions({
      config,
      sizes: SIZES.decisions,
      pacedRate: 200,
      pacedSeconds: SIZES.pacedSeconds,
      concurrency: config.workerConcurrency,
      batchSize: config.workerBatchSize,
      database: `provdb_bench_decisions_${process.pid}`,
      log,
    });
    data.decisions = decisions;
    decisionRows(decisions, rows, targets);
  } else if (part === 'rules') {
    await rulesRows(rows, targets, data);
  } else if (part === 'rollups') {
    await rollupRows(rows, targets, data);
  } else {
    await topologyRows(rows, targets, data);
  }
  return {
    measuredAt: new Date(started).toISOString(),
    mode: QUICK ? 'quick' : 'full',
    revision: process.env.PROVDB_BENCH_REVISION,
    seconds: Math.round((Date.now() - started) / 1000),
    loadAverage,
    data,
    rows,
    targets,
  };
}

/**
 * bench/results.json keeps the latest result of each part: a run of some parts (`--only`)
 * replaces theirs and keeps the others, each with when, at which revision and under which load
 * it was measured.
 */
function save(
  file: string,
  machineInfo: Record<string, unknown>,
  parts: Partial<Record<Part, PartResult>>,
): void {
  let previous: { parts?: Partial<Record<Part, PartResult>> } = {};
  if (existsSync(file)) {
    try {
      previous = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      previous = {};
    }
  }
  const merged = { ...(previous.parts ?? {}), ...parts };
  const ordered = Object.fromEntries(PARTS.filter((p) => merged[p]).map((p) => [p, merged[p]]));
  writeFileSync(
    file,
    `${JSON.stringify({ updatedAt: new Date().toISOString(), machine: machineInfo, sizes: SIZES, parts: ordered }, null, 2)}\n`,
  );
}

async function main(): Promise<void> {
  const unknown = [...(ONLY ?? [])].filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new Error(`--only ${unknown.join(',')}: expected some of ${PARTS.join(', ')}`);
  }
  const started = Date.now();
  const machineInfo = await machine();
  const parts: Partial<Record<Part, PartResult>> = {};
  for (const part of PARTS) {
    if (want(part)) parts[part] = await runPart(part);
  }
  const elapsed = Math.round((Date.now() - started) / 1000);
  const m = machineInfo;
  console.log(
    `\n${QUICK ? 'Quick' : 'Full'} run, ${elapsed} s: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}, Postgres ${m.postgres}, Redis ${m.redis}; load average at start ${(m.loadAverage as number[]).join(' ')}\n`,
  );
  const done = Object.values(parts);
  console.log(table(done.flatMap((p) => p.rows)));
  console.log('\nTargets');
  for (const t of done.flatMap((p) => p.targets)) {
    console.log(`  ${t.met === null ? 'n/a ' : t.met ? 'met ' : 'MISS'}  ${t.target}: ${t.figure}`);
  }
  const file = path.join(ROOT, 'bench', 'results.json');
  save(file, machineInfo, parts);
  console.log(`\nWritten to ${path.relative(process.cwd(), file)}`);
}

// The git revision measured, for the record (best effort).
try {
  process.env.PROVDB_BENCH_REVISION = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
    .toString()
    .trim();
} catch {
  process.env.PROVDB_BENCH_REVISION = 'unknown';
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
