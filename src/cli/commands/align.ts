import type { Command } from 'commander';
import { alignmentReport, NotAlignedError } from '../../db/alignment/report';
import { formatAlignmentReport } from '../../db/alignment/report-format';
import { action, UsageError } from '../context';

export function register(program: Command): void {
  const align = program.command('align').description('schema alignment of the legacy database');
  align
    .command('report')
    .description('what alignment linked, parsed, flagged and quarantined, computed from the database now')
    .option('--json', 'print one JSON object instead of a table')
    .option('--ids', 'also list the ids of the rows in each category')
    .action(
      action(async (ctx, opts: { json?: boolean; ids?: boolean }) => {
        let report: Awaited<ReturnType<typeof alignmentReport>>;
        try {
          report = await alignmentReport(ctx.knex, { ids: opts.ids ?? false });
        } catch (error) {
          if (error instanceof NotAlignedError) throw new UsageError(error.message, { cause: error });
          throw error;
        }
        process.stdout.write(
          opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatAlignmentReport(report),
        );
        return 0;
      }),
    );
}
