/**
 * `provdb-worker demo`, start to end: check the services, create the demo's own database,
 * migrate it, seed a lab, print what is in it and the alignment report, then the event stream
 * (played once the queue runtime and the rule engine are in the build). Progress goes to `out`
 * as it happens; a service that cannot be reached is reported on `err` with how to start it.
 */
import { type Config, redactUrl } from '../config';
import { alignmentReport } from '../db/alignment/report';
import { formatAlignmentReport } from '../db/alignment/report-format';
import { createKnex } from '../db/knex';
import { migrateLatest } from '../db/migrator';
import { prepareDemoDatabase, validateDemoDatabaseName } from './database';
import { labOverview } from './overview';
import { formatPreflightFailure, preflight } from './preflight';
import { playScenario } from './scenario';
import { type SeedProgress, seedLab } from './seed';

export interface DemoRunOptions {
  /** The demo's database (created, or recreated when an earlier demo made it). */
  database: string;
  seed: number;
  /** Per-service timeout of the preflight checks, in milliseconds. */
  preflightTimeoutMs?: number;
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

    // The event stream: played through Redis once the queue runtime and rule engine exist.
    const scenario = await playScenario({}, summary);
    if (scenario.played) {
      say('Events played');
    } else {
      say(`Events: not played (${scenario.reason}). The stream the demo will play on this lab:`);
    }
    scenario.steps.forEach((s, i) => {
      say(`  ${String(i + 1).padStart(2)}. ${s.event}: ${s.description}`);
      say(`      expected: ${s.expected}`);
    });
    say('');
    say(
      `Done in ${seconds(performance.now() - started)}: ran preflight, database, migrations, seed, ` +
        'lab summary and alignment report; no workers were started and no events were played.',
    );
    say(`The lab stays in ${redactUrl(db.url)} to explore; the next demo run recreates it.`);
    return 0;
  } finally {
    await knex.destroy();
  }
}
