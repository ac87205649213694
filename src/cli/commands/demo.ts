import type { Command } from 'commander';
import { createKnex } from '../../db/knex';
import { migrateLatest } from '../../db/migrator';
import { ensureDatabase } from '../../db/scratch';
import { action } from '../context';

export function register(program: Command): void {
  program
    .command('demo')
    .description('create a scratch database, migrate it and show its tables')
    .option(
      '--database <name>',
      'scratch database to create or reuse on the DATABASE_URL server',
      'provdb_demo',
    )
    .action(
      action(async (ctx, opts: { database: string }) => {
        const { url, created } = await ensureDatabase(ctx.config.databaseUrl, opts.database);
        console.log(`${created ? 'created' : 'reusing'} database ${opts.database}`);
        const knex = createKnex(url, { poolMax: 2 });
        ctx.onClose(() => knex.destroy());
        const { files } = await migrateLatest(knex);
        console.log(`applied ${files.length} migration(s)`);
        const { rows } = await knex.raw<{ rows: Array<{ table_name: string; columns: number }> }>(
          `SELECT c.relname AS table_name, count(a.attnum)::int AS columns
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p', 'v')
            GROUP BY c.relname ORDER BY c.relname`,
        );
        for (const r of rows) console.log(`  ${r.table_name.padEnd(32)} ${r.columns} columns`);
        return 0;
      }),
    );
}
