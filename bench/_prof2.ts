import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrator';
import { seedLab } from '../src/demo/seed';
import { userShares } from '../src/rollups/users';
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
    console.log((await knex.raw(`select (select count(*) from device_health_snapshot) h, (select count(*) from booking_table) b, (select count(*) from maintenance_records) m, (select count(*) from device_table) d`)).rows);
    const now = new Date(s.now);
    const deviceIds = (await knex.raw(`SELECT id FROM device_table`)).rows.map((r: any) => r.id);
    const extra = (await knex.raw(`SELECT booking_id FROM booking_table WHERE NOT is_collaborator ORDER BY start_time OFFSET 3000 LIMIT 500`)).rows.map((r: any) => r.booking_id);
    let sql = '';
    knex.on('query', (q: any) => { sql = q.sql; (globalThis as any).b = q.bindings; });
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await userShares(knex, { deviceIds, from: now, to: new Date(now.getTime() + 7 * 86400000), asOf: now, bookedStatuses: ['pending','pending_approval','confirmed'], extraBookingIds: undefined, assumeBookedIds: extra } as any);
      console.log('userShares ms', (performance.now() - t).toFixed(1));
    }
    const plan = await knex.raw('EXPLAIN (ANALYZE, BUFFERS) ' + sql.replace(/\$\d+/g, '?'), (globalThis as any).b);
    console.log(plan.rows.map((r: any) => r['QUERY PLAN']).join('\n'));
  } finally {
    await knex.destroy();
    await admin.raw(`DROP DATABASE ${ident(name)} WITH (FORCE)`);
    await admin.destroy();
  }
}
main();
