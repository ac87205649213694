import type { Command } from 'commander';
import { DEMO_DATABASE_DEFAULT, DemoDatabaseError } from '../../demo/database';
import { SeedOptionsError } from '../../demo/options';
import { runDemo } from '../../demo/run';
import { action, UsageError } from '../context';

function seedNumber(value: string): number {
  if (!/^\d{1,9}$/.test(value))
    throw new UsageError(`--seed ${JSON.stringify(value)}: expected a whole number`);
  return Number(value);
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'check Postgres and Redis, create the demo database, migrate and seed it, start the workers, play a stream of scheduler events through Redis and print what they decided',
    )
    .option(
      '--database <name>',
      'the demo database on the DATABASE_URL server (must start with provdb_demo; recreated each run, ' +
        'and only if the demo created it)',
      DEMO_DATABASE_DEFAULT,
    )
    .option('--seed <n>', 'seed of the generated lab (same seed, same lab)', '1')
    .option('--keep', 'leave the workers and the metrics server running until Ctrl-C', false)
    .action(
      action(async (ctx, opts: { database: string; seed: string; keep: boolean }) => {
        try {
          return await runDemo(
            ctx.config,
            { database: opts.database, seed: seedNumber(opts.seed), keep: opts.keep },
            { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
          );
        } catch (error) {
          if (error instanceof DemoDatabaseError || error instanceof SeedOptionsError) {
            throw new UsageError(error.message, { cause: error });
          }
          throw error;
        }
      }),
    );
}
