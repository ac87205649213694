import type { Command } from 'commander';
import { databaseName } from '../../db/knex';
import { migrateLatest, migrateRollback, migrateToZero, migrationStatus } from '../../db/migrator';
import { action, UsageError } from '../context';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations to DATABASE_URL (adopts an existing legacy database in place)')
    .option('--rollback', 'roll back the last batch of migrations')
    .option('--to-zero', 'roll back every migration and remove the migration bookkeeping tables')
    .option('--status', 'list applied and pending migrations without changing anything')
    .action(
      action(async (ctx, opts: { rollback?: boolean; toZero?: boolean; status?: boolean }) => {
        const chosen = [opts.rollback, opts.toZero, opts.status].filter(Boolean).length;
        if (chosen > 1) throw new UsageError('migrate: use at most one of --rollback, --to-zero, --status');
        const db = databaseName(ctx.config.databaseUrl);
        if (opts.status) {
          const { completed, pending } = await migrationStatus(ctx.knex);
          for (const name of completed) console.log(`applied  ${name}`);
          for (const name of pending) console.log(`pending  ${name}`);
          return 0;
        }
        if (opts.rollback || opts.toZero) {
          const { files } = opts.toZero ? await migrateToZero(ctx.knex) : await migrateRollback(ctx.knex);
          console.log(
            files.length === 0
              ? `${db}: nothing to roll back`
              : `${db}: rolled back ${files.length} migration(s):\n${files.map((f) => `  ${f}`).join('\n')}`,
          );
          return 0;
        }
        const { files } = await migrateLatest(ctx.knex);
        console.log(
          files.length === 0
            ? `${db}: already up to date`
            : `${db}: applied ${files.length} migration(s):\n${files.map((f) => `  ${f}`).join('\n')}`,
        );
        return 0;
      }),
    );
}
