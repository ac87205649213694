/**
 * The demo's workers: the real application (src/app.ts: handler modules, queue runtime, metrics
 * server) started in the demo's process on the demo's own database and a queue prefix of its
 * own (the database's name), so nothing it enqueues reaches another worker and nothing another
 * producer enqueues reaches it. Its Redis keys are deleted before it starts and after it stops.
 */
import pino from 'pino';
import { type App, createApp } from '../app';
import type { Config } from '../config';
import { createLogger } from '../logger';
import { createRedis } from '../queues/connection';

export interface DemoWorkers {
  app: App;
  prefix: string;
  /** Stops the workers (letting active jobs finish), then deletes the prefix's keys. */
  stop(): Promise<void>;
}

/** Deletes every Redis key under `prefix:` (never anything else: Redis may be shared). */
export async function deletePrefixKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = createRedis(redisUrl, 'cli');
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function startDemoWorkers(
  config: Config,
  databaseUrl: string,
  prefix: string,
  io: { err(text: string): void },
): Promise<DemoWorkers> {
  const demoConfig: Config = Object.freeze({ ...config, databaseUrl, queuePrefix: prefix });
  await deletePrefixKeys(config.redisUrl, prefix);
  // The workers' own log lines go to stderr, as JSON, errors only unless LOG_LEVEL asks for
  // debug or trace: the demo's narrative on stdout stays readable, and what the workers did is
  // in the summary.
  const logger = createLogger(
    config.logLevel === 'debug' || config.logLevel === 'trace' ? config.logLevel : 'error',
    pino.destination({ fd: 2, sync: true }),
  );
  const app = await createApp(demoConfig, { logger });
  try {
    await app.start();
  } catch (error) {
    await app.close({ force: true });
    const message = (error as Error).message;
    if (/EADDRINUSE/.test(message)) {
      io.err(`the metrics port ${config.metricsPort} is in use: set METRICS_PORT to a free port (0: any)\n`);
    }
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    app,
    prefix,
    stop() {
      stopped ??= (async () => {
        await app.close();
        await deletePrefixKeys(config.redisUrl, prefix);
      })();
      return stopped;
    },
  };
}

/** Resolves on the first SIGINT or SIGTERM (Ctrl-C), for `--keep`; or when `abort` aborts. */
export function waitForSignal(abort?: AbortSignal): Promise<NodeJS.Signals | 'aborted'> {
  if (abort) {
    return new Promise((resolve) => {
      if (abort.aborted) resolve('aborted');
      else abort.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
  }
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
