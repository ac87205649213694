import type { Command } from 'commander';
import { backfill, RollupInputError } from '../../rollups/backfill';
import { GRANULARITIES, type Granularity } from '../../rollups/model';
import { parseInstant } from '../../rollups/parse';
import { action, type CliContext, UsageError } from '../context';

interface RollupOptions {
  from: string;
  to: string;
  granularity?: string;
  devices?: string;
  concurrency: string;
}

function parseDevices(value: string): number[] {
  return value.split(',').map((part) => {
    const p = part.trim();
    if (!/^\d+$/.test(p) || Number(p) <= 0 || !Number.isSafeInteger(Number(p))) {
      throw new UsageError(
        `rollup: --devices ${JSON.stringify(value)}: ${JSON.stringify(p)} is not a device id`,
      );
    }
    return Number(p);
  });
}

function instant(option: string, value: string): Date {
  try {
    return parseInstant(value);
  } catch (error) {
    throw new UsageError(`rollup: ${option} ${(error as Error).message}`);
  }
}

function granularities(value: string | undefined): Granularity[] {
  if (value === undefined) return [...GRANULARITIES];
  if (!(GRANULARITIES as readonly string[]).includes(value)) {
    throw new UsageError(
      `rollup: --granularity ${JSON.stringify(value)} must be ${GRANULARITIES.join(' or ')}`,
    );
  }
  return [value as Granularity];
}

function concurrency(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 16) {
    throw new UsageError(
      `rollup: --concurrency ${JSON.stringify(value)} must be a whole number from 1 to 16`,
    );
  }
  return Number(value);
}

async function run(ctx: CliContext, opts: RollupOptions): Promise<number> {
  const from = instant('--from', opts.from);
  const to = instant('--to', opts.to);
  if (to <= from) throw new UsageError(`rollup: --to ${opts.to} must be after --from ${opts.from}`);
  const options = {
    from,
    to,
    granularities: granularities(opts.granularity),
    deviceIds: opts.devices === undefined ? undefined : parseDevices(opts.devices),
    concurrency: concurrency(opts.concurrency),
  };
  try {
    const result = await backfill(ctx.knex, {
      ...options,
      workMem: '64MB',
      onProgress: (p) =>
        process.stderr.write(
          `rollup: chunk ${p.chunk}/${p.chunks}: ${p.deviceCount} device(s) ${p.devices[0]}..${p.devices[1]}, ` +
            `${p.buckets} bucket(s), ${p.written} written, ${(p.elapsedMs / 1000).toFixed(1)} s\n`,
        ),
    });
    for (const r of result.ranges) {
      console.log(`${r.granularity}: ${r.from.toISOString()} .. ${r.to.toISOString()} (end exclusive)`);
    }
    console.log(
      `rollup: ${result.devices} device(s), ${result.buckets} bucket(s) computed, ${result.written} row(s) ` +
        `written in ${result.chunks} chunk(s), ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
    return 0;
  } catch (error) {
    if (error instanceof RollupInputError) throw new UsageError(`rollup: ${error.message}`);
    throw error;
  }
}

export function register(program: Command): void {
  program
    .command('rollup')
    .description('backfill utilization rollups for a range (safe to rerun: buckets are upserted)')
    .requiredOption(
      '--from <date>',
      'start, inclusive: YYYY-MM-DD or ISO 8601 date-time (UTC unless an offset is given)',
    )
    .requiredOption('--to <date>', 'end, exclusive: same formats as --from')
    .option('--granularity <g>', `only one granularity: ${GRANULARITIES.join(' or ')} (default: both)`)
    .option('--devices <ids>', 'comma-separated device_table ids (default: every device)')
    .option('--concurrency <n>', 'chunks computed at once, each on its own connection (1-16)', '1')
    .action(action(run));
}
