/**
 * How long schema alignment takes on a large legacy database: creates a scratch database on the
 * DATABASE_URL server, migrates it to the legacy baseline, fills it with set-based SQL (500,000
 * bookings by default, with the usual dirt: status spellings, collaborator rows, overlaps,
 * inverted windows), then times each alignment migration, `align report`, and the rollback.
 *
 *   npm run bench:align                      # 500,000 bookings
 *   npm run bench:align -- --bookings 100000 --keep
 *
 * Not part of `npm test` (it takes a minute or more). The database is dropped at the end unless
 * --keep is given.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { alignmentReport } from '../src/db/alignment/report';
import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateTo, migrationStatus, rollbackTo } from '../src/db/migrator';
import { ensureDatabase } from '../src/db/scratch';
import { fillLegacyBulk } from '../test/support/bulk';

const BASELINE = '20261124000000_legacy_baseline';
const ALIGNMENT = /^20261124010\d{3}_.*\.ts$/;

const { values } = parseArgs({
  options: {
    bookings: { type: 'string', default: '500000' },
    devices: { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
  },
});
const bookings = Number(values.bookings);
const devices = Number(values.devices);
if (!Number.isInteger(bookings) || bookings < 1)
  throw new Error(`--bookings ${values.bookings}: a positive integer`);
if (!Number.isInteger(devices) || devices < 1)
  throw new Error(`--devices ${values.devices}: a positive integer`);

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const serverUrl = loadConfig().databaseUrl;
  const name = `provdb_bench_align_${process.pid}`;
  const { url } = await ensureDatabase(serverUrl, name);
  const knex = createKnex(url, { poolMax: 2, applicationName: 'provdb-worker-bench' });
  try {
    await migrateTo(knex, BASELINE);
    let t = performance.now();
    await fillLegacyBulk(knex, { bookings, devices });
    console.log(
      `filled ${name}: ${bookings} bookings on ${devices} devices in ${seconds(performance.now() - t)}`,
    );

    const { pending } = await migrationStatus(knex);
    const steps = pending.filter((f) => ALIGNMENT.test(f));
    const total = performance.now();
    for (const step of steps) {
      t = performance.now();
      await migrateTo(knex, step);
      console.log(`  ${step.padEnd(56)} ${seconds(performance.now() - t).padStart(10)}`);
    }
    console.log(`alignment (${steps.length} migrations): ${seconds(performance.now() - total)}`);

    t = performance.now();
    const report = await alignmentReport(knex);
    console.log(`align report: ${seconds(performance.now() - t)}`);
    console.log(JSON.stringify({ bookings: report.bookings, devices: report.devices }));

    t = performance.now();
    await rollbackTo(knex, BASELINE);
    console.log(`rollback of alignment: ${seconds(performance.now() - t)}`);
  } finally {
    await knex.destroy();
    if (!values.keep) {
      const admin = createKnex(withDatabase(serverUrl, 'postgres'), { poolMax: 1 });
      await admin.raw(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      await admin.destroy();
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-align: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
