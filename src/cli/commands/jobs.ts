import type { Command } from 'commander';
import { isQueueName, QUEUE_NAMES, type QueueName } from '../../contracts';
import { preview } from '../../contracts/format';
import { listFailedJobs, retryFailedJobs } from '../../queues/admin';
import { action, UsageError } from '../context';
import { cliProducer } from '../redis';

function queuesOption(queue: string | undefined): QueueName[] {
  if (queue === undefined) return [...QUEUE_NAMES];
  if (!isQueueName(queue))
    throw new UsageError(
      `--queue: unknown queue ${JSON.stringify(queue)}; known queues: ${QUEUE_NAMES.join(', ')}`,
    );
  return [queue];
}

export function register(program: Command): void {
  const jobs = program.command('jobs').description('inspect and retry jobs in the queues');

  jobs
    .command('failed')
    .description('list failed jobs with their reasons, most recent first')
    .option('--queue <name>', `only this queue (${QUEUE_NAMES.join(', ')})`)
    .option('--limit <n>', 'at most this many jobs per queue', '100')
    .option('--json', "print JSON (one array, with each job's payload) instead of text")
    .action(
      action(async (ctx, opts: { queue?: string; limit: string; json?: boolean }) => {
        const queues = queuesOption(opts.queue);
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError(`--limit must be a positive whole number, got ${JSON.stringify(opts.limit)}`);
        const producer = await cliProducer(ctx);
        const { jobs: failed, total } = await listFailedJobs(producer, queues, limit);
        if (opts.json) {
          console.log(JSON.stringify(failed, null, 2));
          return 0;
        }
        if (failed.length === 0) {
          console.log(`no failed jobs in ${queues.join(', ')}`);
          return 0;
        }
        for (const job of failed) {
          console.log(
            `${job.queue}  ${job.id}  ${job.name}  failed ${job.failedAt ?? '?'} after ${job.attempts} attempt(s)`,
          );
          console.log(`    reason: ${job.reason}`);
          if (job.eventId === null) console.log(`    payload: ${preview(job.data)}`);
        }
        const shown = failed.length < total ? ` (showing ${failed.length}; use --limit or --queue)` : '';
        console.log(`${total} failed job(s)${shown}`);
        return 0;
      }),
    );

  jobs
    .command('retry')
    .description('move failed jobs back to waiting (after a fix); the retry policy starts again')
    .argument(
      '[jobIds...]',
      'ids of the jobs to retry (the eventId, for events enqueued as the contract says)',
    )
    .option('--all', 'retry every failed job (of --queue, or of every queue)')
    .option('--queue <name>', `only this queue (${QUEUE_NAMES.join(', ')})`)
    .action(
      action(async (ctx, ids: string[], opts: { all?: boolean; queue?: string }) => {
        if (opts.all ? ids.length > 0 : ids.length === 0) {
          throw new UsageError('jobs retry: give job ids or --all (not both)');
        }
        const queues = queuesOption(opts.queue);
        const producer = await cliProducer(ctx);
        const report = await retryFailedJobs(producer, queues, opts.all ? 'all' : ids);
        for (const { queue, id } of report.retried) console.log(`retrying ${queue} ${id}`);
        for (const { queue, id, state } of report.notFailed)
          console.log(`not retried: ${queue} ${id} is ${state}, not failed`);
        for (const id of report.missing) console.log(`not found: ${id} (in ${queues.join(', ')})`);
        console.log(`${report.retried.length} job(s) moved back to waiting`);
        return report.missing.length > 0 || report.notFailed.length > 0 ? 1 : 0;
      }),
    );
}
