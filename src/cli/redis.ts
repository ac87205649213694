/** The Redis side of CLI commands: a fail-fast connection and a producer over it. */
import { redactUrl } from '../config';
import { createRedis, pingRedis } from '../queues/connection';
import { createProducer, type Producer } from '../queues/producer';
import type { CliContext } from './context';

/** Connects (or fails with a message naming the Redis URL) and closes at the end of the command. */
export async function cliProducer(ctx: CliContext): Promise<Producer> {
  const redis = createRedis(ctx.config.redisUrl, 'cli', 'provdb-worker-cli');
  redis.on('error', () => undefined); // reported by pingRedis below
  ctx.onClose(async () => {
    redis.disconnect();
  });
  try {
    await pingRedis(redis);
  } catch (error) {
    // The CLI prints the cause ("connect ECONNREFUSED ...") on the next line.
    throw new Error(`Redis at ${redactUrl(ctx.config.redisUrl)} is not reachable`, { cause: error });
  }
  const producer = createProducer({ connection: redis, prefix: ctx.config.queuePrefix });
  ctx.onClose(() => producer.close());
  return producer;
}
