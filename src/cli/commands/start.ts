import type { Command } from 'commander';
import { createApp } from '../../app';
import { isQueueName, QUEUE_NAMES, type QueueName } from '../../contracts';
import { RuleSetInvalidError } from '../../rules/store';
import { runUntilSignal } from '../../run';
import { action, EXIT, UsageError } from '../context';

/** `--queues a,b` -> queue names; every name must be a known queue. */
export function parseQueues(value: string | undefined): QueueName[] {
  if (value === undefined) return [...QUEUE_NAMES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !isQueueName(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--queues: ${unknown.length > 0 ? `unknown queue(s) ${unknown.join(', ')}` : 'no queue given'}; known queues: ${QUEUE_NAMES.join(', ')}`,
    );
  }
  return [...new Set(names)] as QueueName[];
}

export function register(program: Command): void {
  program
    .command('start')
    .description(
      'run the workers: consume the queues with WORKER_CONCURRENCY jobs at once per queue, serve /metrics, /healthz and /readyz; exits 2 when the rules in RULES_DIR are invalid (SIGHUP reloads them)',
    )
    .option('--queues <names>', `comma-separated queues to consume (default: ${QUEUE_NAMES.join(',')})`)
    .action(
      action(async (ctx, opts: { queues?: string }) => {
        const queues = parseQueues(opts.queues);
        let app: Awaited<ReturnType<typeof createApp>>;
        try {
          app = await createApp(ctx.config);
        } catch (error) {
          // Every problem of every file, as `rules check` prints them; nothing was started.
          if (!(error instanceof RuleSetInvalidError)) throw error;
          process.stderr.write(`provdb-worker: cannot start: ${error.message}\n`);
          return EXIT.badInput;
        }
        return runUntilSignal(app, { queues });
      }),
    );
}
