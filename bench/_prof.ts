import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrator';
import { seedLab } from '../src/demo/seed';
import { loadBookingFacts } from '../src/rules/facts/load';
async function main() {
  const base = 'postgres://postgres@127.0.0.1:5432/';
  const name = `provdb_prof_${process.pid}`;
  const admin = createKnex(base + 'postgres', { poolMax: 1 });
  await admin.raw(`CREATE DATABASE ${ident(name)}`);
  const knex = createKnex(withDatabase(base + 'postgres', name), { poolMax: 2 });
  try {
    await migrateLatest(knex);
    const s = await seedLab(knex, { devices: 120, users: 100, historyDays: 30, bookingsPerDay: 300 });
    await knex.raw('ANALYZE');
    const now = new Date(s.now);
    const ids = (await knex.raw(`SELECT grouped_booking_id g FROM booking_table WHERE NOT is_collaborator GROUP BY 1 ORDER BY min(start_time) OFFSET 3000`)).rows.map((r: any) => r.g).slice(0, 500);
    const starts = new Map<string, number>();
    const times: Array<[string, number]> = [];
    knex.on('query', (q: any) => starts.set(q.__knexQueryUid, performance.now()));
    knex.on('query-response', (_r: any, q: any) => times.push([q.sql.replace(/\s+/g, ' ').slice(0, 70), performance.now() - starts.get(q.__knexQueryUid)!]));
    for (let k = 0; k < 2; k++) {
      times.length = 0;
      const t = performance.now();
      await loadBookingFacts(knex, ids, { now });
      const total = performance.now() - t;
      console.log(`total ${total.toFixed(0)} ms, queries ${times.reduce((a, [, b]) => a + b, 0).toFixed(0)} ms`);
      if (k === 1) for (const [q, ms] of times) console.log(ms.toFixed(1).padStart(7), q);
    }
  } finally {
    await knex.destroy();
    await admin.raw(`DROP DATABASE ${ident(name)} WITH (FORCE)`);
    await admin.destroy();
  }
}
main();
