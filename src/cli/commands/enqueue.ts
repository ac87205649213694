import type { Command } from 'commander';
import { completeEvent, JOB_NAMES, type JobName, type JobPayload, parseJobName } from '../../contracts';
import { InvalidPayloadError } from '../../errors';
import { action, UsageError } from '../context';
import { cliProducer } from '../redis';

export function register(program: Command): void {
  program
    .command('enqueue')
    .description(
      'validate a payload against the job contract and enqueue it (eventId and occurredAt are filled in when left out)',
    )
    .argument('<job-name>', `one of ${JOB_NAMES.join(', ')}`)
    .argument('<json>', 'the payload, a JSON object, e.g. \'{"bookingId": 42}\'')
    .option('--delay <ms>', 'run the job no earlier than this many milliseconds from now')
    .action(
      action(async (ctx, jobName: string, json: string, opts: { delay?: string }) => {
        let name: JobName;
        let input: unknown;
        try {
          name = parseJobName(jobName);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        try {
          input = JSON.parse(json);
        } catch (error) {
          throw new UsageError(`the payload is not valid JSON: ${(error as Error).message}`);
        }
        const delayMs = opts.delay === undefined ? undefined : Number(opts.delay);
        if (delayMs !== undefined && !(Number.isInteger(delayMs) && delayMs >= 0)) {
          throw new UsageError(
            `--delay must be a whole number of milliseconds, got ${JSON.stringify(opts.delay)}`,
          );
        }
        let payload: JobPayload<JobName>;
        try {
          // Validated before connecting: a bad payload is reported even while Redis is down.
          payload = completeEvent(name, input as never);
        } catch (error) {
          if (error instanceof InvalidPayloadError) throw new UsageError(error.message);
          throw error;
        }
        const producer = await cliProducer(ctx);
        const job = await producer.enqueue(name, payload as never, { delayMs });
        console.log(
          `enqueued ${job.name} on queue ${job.queue} (prefix ${ctx.config.queuePrefix}): jobId ${job.jobId}`,
        );
        return 0;
      }),
    );
}
