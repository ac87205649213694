/**
 * How long seeding a lab takes, and how much memory the Node process needs for it, at a size
 * the benchmarks and the soak test use. Creates a scratch database on DATABASE_URL's server
 * (`provdb_bench_seed_<pid>`), migrates it, seeds it, prints the figures and drops it.
 *
 *   npx tsx bench/seed.ts [--devices 500] [--users 400] [--days 730] [--per-day 1370] [--seed 1] [--keep]
 *
 * The defaults make about 1,000,000 reservations over two years.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrator';
import { seedLab } from '../src/demo/seed';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '500' },
      users: { type: 'string', default: '400' },
      days: { type: 'string', default: '730' },
      'per-day': { type: 'string', default: '1370' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
    },
  });
  const config = loadConfig();
  const name = `provdb_bench_seed_${process.pid}`;
  const admin = createKnex(withDatabase(config.databaseUrl, 'postgres'), { poolMax: 1 });
  await admin.raw(`CREATE DATABASE ${ident(name)}`);
  const knex = createKnex(withDatabase(config.databaseUrl, name), { poolMax: 2 });
  try {
    await migrateLatest(knex);
    let peakRss = process.memoryUsage().rss;
    const sample = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    const rssBefore = process.memoryUsage().rss;
    const summary = await seedLab(
      knex,
      {
        seed: Number(values.seed),
        devices: Number(values.devices),
        users: Number(values.users),
        historyDays: Number(values.days),
        bookingsPerDay: Number(values['per-day']),
      },
      (e) => {
        if (e.step === 'bookings' && e.done) process.stderr.write(`\rbookings ${e.done}/${e.total}`);
      },
    );
    clearInterval(sample);
    process.stderr.write('\n');
    const { rows } = await knex.raw<{ rows: Array<{ size: string }> }>(
      'SELECT pg_size_pretty(pg_database_size(current_database())) AS size',
    );
    const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
    const t = summary.timingsMs;
    console.log(
      JSON.stringify(
        {
          options: summary.options,
          reservations: summary.bookings.reservations,
          bookingRows: summary.bookings.rows,
          seconds: {
            total: t.total / 1000,
            bookings: t.bookings / 1000,
            people: t.people / 1000,
            devices: t.devices / 1000,
          },
          reservationsPerSecond: Math.round(summary.bookings.reservations / (t.bookings / 1000)),
          nodeRss: { before: mb(rssBefore), peak: mb(peakRss) },
          databaseSize: rows[0]?.size,
        },
        null,
        2,
      ),
    );
  } finally {
    await knex.destroy();
    if (values.keep) console.log(`kept database ${name}`);
    else await admin.raw(`DROP DATABASE ${ident(name)} WITH (FORCE)`);
    await admin.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
