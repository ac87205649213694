/**
 * `provdb-worker demo`, start to end: check the services, create the demo's own database,
 * migrate it, seed a lab, print what is in it and the alignment report, compute its rollups,
 * start the workers in this process (on the demo's database and a queue prefix of its own),
 * play the event stream through Redis and print what the workers wrote. Progress goes to `out`
 * as it happens; a service that cannot be reached is reported on `err` with how to start it.
 */
import { type Config, redactUrl } from '../config';
import { QUEUE_NAMES } from '../contracts';
import { alignmentReport } from '../db/alignment/report';
import { formatAlignmentReport } from '../db/alignment/report-format';
import { createKnex } from '../db/knex';
import { migrateLatest } from '../db/migrator';
import { backfill } from '../rollups/backfill';
import { DAY_MS, startOfUtcDay } from './context';
import { prepareDemoDatabase, validateDemoDatabaseName } from './database';
import { labOverview } from './overview';
import { formatPreflightFailure, preflight } from './preflight';
import { buildReport, formatReport, latestDecisions } from './report';
import { type PlayedStep, playScenario } from './scenario';
import { type SeedProgress, seedLab } from './seed';
import { startDemoWorkers, waitForSignal } from './workers';

export interface DemoRunOptions {
  /** The demo's database (created, or recreated when an earlier demo made it). */
  database: string;
  seed: number;
  /** Per-service timeout of the preflight checks, in milliseconds. */
  preflightTimeoutMs?: number;
  /** Leave the workers and the metrics server running until SIGINT/SIGTERM. */
  keep?: boolean;
  /** With `keep`: stop when this aborts instead of on SIGINT/SIGTERM (tests, embedding). */
  stopSignal?: AbortSignal;
  /** Longest wait for one step of the stream to be processed (default 60 s). */
  stepTimeoutMs?: number;
}

export interface DemoIo {
  out(text: string): void;
  err(text: string): void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs the demo; returns the exit code (0 done, 1 a service is missing). */
export async function runDemo(config: Config, options: DemoRunOptions, io: DemoIo): Promise<number> {
  const started = performance.now();
  const say = (line: string) => io.out(`${line}\n`);
  validateDemoDatabaseName(options.database);

  say('Checking Postgres and Redis');
  const checks = await preflight(config, { timeoutMs: options.preflightTimeoutMs });
  for (const c of checks) {
    say(`  ${c.service.padEnd(8)} ${c.url}: ${c.ok ? `ok (${c.detail})` : 'NOT AVAILABLE'}`);
    if (c.warning) say(`           warning: ${c.warning}`);
  }
  const failure = formatPreflightFailure(checks);
  if (failure) {
    io.err(failure);
    return 1;
  }

  const db = await prepareDemoDatabase(config.databaseUrl, options.database);
  say(`Database ${db.name}: ${db.replaced ? "recreated (the previous demo's lab is gone)" : 'created'}`);
  const knex = createKnex(db.url, { poolMax: 2, applicationName: 'provdb-worker-demo' });
  try {
    let t = performance.now();
    const { files } = await migrateLatest(knex);
    say(`Migrated: ${files.length} migrations in ${seconds(performance.now() - t)}`);

    t = performance.now();
    let lastStep = '';
    const progress: SeedProgress = ({ step, done, total }) => {
      if (step === 'bookings' && done !== undefined && total !== undefined) {
        if (done > 0) say(`  bookings ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`);
      } else if (step !== lastStep) {
        say(`  ${step}`);
      }
      lastStep = step;
    };
    say(`Seeding a lab (seed ${options.seed})`);
    const summary = await seedLab(knex, { seed: options.seed }, progress);
    say(`Seeded in ${seconds(performance.now() - t)}`);
    say('');

    say(`The lab (now = ${summary.now.slice(0, 16).replace('T', ' ')} UTC)\n`);
    io.out(await labOverview(knex, summary));
    say('');
    say('Alignment report (the same as `provdb-worker align report` on this database)');
    io.out(formatAlignmentReport(await alignmentReport(knex)));
    say('');

    // Rollups for the lab's whole range, as an operator runs `provdb-worker rollup` once.
    t = performance.now();
    const labFrom = new Date(
      startOfUtcDay(new Date(summary.now)).getTime() - summary.options.historyDays * DAY_MS,
    );
    const labTo = new Date(
      startOfUtcDay(new Date(summary.now)).getTime() + summary.options.futureDays * DAY_MS,
    );
    const filled = await backfill(knex, { from: labFrom, to: labTo });
    say(
      `Rollups: ${filled.written.toLocaleString('en-US')} hour and day rows computed in ${seconds(performance.now() - t)}`,
    );
    say('');

    const workers = await startDemoWorkers(config, db.url, db.name, io);
    try {
      say(
        `Workers started in this process: queues ${QUEUE_NAMES.join(', ')} on prefix ${workers.prefix}, concurrency ${config.workerConcurrency}`,
      );
      say('');
      say('Playing the event stream through Redis');
      const scenario = await playScenario(
        {
          knex,
          producer: workers.app.deps.producer,
          stepTimeoutMs: options.stepTimeoutMs,
          onStep: async ({ index, total, step, done }) => {
            if (!done) {
              say(`  ${String(index + 1).padStart(2)}/${total} ${step.event}: ${step.description}`);
              say(`        expected: ${step.expected}`);
              return;
            }
            const played = step as PlayedStep;
            const failed = played.jobs.filter((j) => j.state !== 'completed').length;
            const outcomes = await latestDecisions(knex, played.decisionBookingIds);
            const decided =
              outcomes.length > 0
                ? `; decided: ${outcomes.map((o) => `booking ${o.bookingId} ${o.outcome}`).join(', ')}`
                : '';
            say(
              `        processed in ${Math.round(played.elapsedMs)} ms: ${played.jobs.length - failed} job(s) completed${failed ? `, ${failed} FAILED` : ''}${decided}`,
            );
          },
        },
        summary,
      );
      say('');
      const report = await buildReport(knex, workers.app.deps.producer, scenario, {
        from: labFrom,
        to: labTo,
      });
      io.out(formatReport(report, `${workers.app.http.url ?? '(not listening)'}/metrics`));
      say('');
      say(`Done in ${seconds(performance.now() - started)}.`);
      say(`The lab stays in ${redactUrl(db.url)} to explore; the next demo run recreates it.`);
      if (options.keep) {
        say(`Workers and ${workers.app.http.url}/metrics keep running: press Ctrl-C to stop.`);
        await waitForSignal(options.stopSignal);
        say('Stopping the workers');
      }
    } finally {
      await workers.stop();
    }
    return 0;
  } finally {
    await knex.destroy();
  }
}
