/**
 * Redis connections. Each process has:
 * - the workers' own connections, created by BullMQ from `workerConnection()` options
 *   (`maxRetriesPerRequest: null`: a worker's commands wait for Redis to come back);
 * - one shared fail-fast connection (`createRedis(url, 'producer')`) for enqueueing, queue
 *   statistics and health checks: while Redis is away these fail at once instead of queueing
 *   up, so a scrape or readiness probe answers and a follow-up enqueue fails (and is retried).
 * Never use ioredis `keyPrefix`: BullMQ's `prefix` namespaces the keys.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from '../config';
import type { Logger } from '../logger';

export type RedisRole = 'producer' | 'cli';

/** Reconnect delay: quick at first, then every 5 s while Redis stays away. */
function reconnectDelay(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 6), 5_000);
}

export function createRedis(url: string, role: RedisRole, connectionName = `provdb-worker-${role}`): Redis {
  const options: RedisOptions = {
    connectionName,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    // A CLI command reports an unreachable Redis instead of waiting for it.
    retryStrategy: role === 'cli' ? () => null : reconnectDelay,
    // ioredis waits this long for a socket to close; a CLI command must not linger for it.
    ...(role === 'cli' ? { disconnectTimeout: 100 } : {}),
  };
  const redis = new Redis(url, options);
  redis.on('error', (error: Error) => lastErrors.set(redis, error));
  redis.on('ready', () => lastErrors.delete(redis));
  return redis;
}

/** The last connection error of each connection made by createRedis, for clear messages. */
const lastErrors = new WeakMap<Redis, Error>();

/** What BullMQ needs to open a worker's connections (a subset of ioredis options). */
export interface WorkerConnectionOptions {
  url: string;
  connectionName: string;
  maxRetriesPerRequest: null;
  connectTimeout: number;
  retryStrategy: (times: number) => number;
}

/** Connection options for BullMQ Workers; each Worker opens (and closes) its own connections. */
export function workerConnection(url: string): WorkerConnectionOptions {
  return {
    url,
    connectionName: 'provdb-worker',
    maxRetriesPerRequest: null,
    connectTimeout: 5_000,
    retryStrategy: reconnectDelay,
  };
}

/**
 * Logs connection loss once (not once per reconnect attempt) and its recovery. Also makes sure
 * an `error` event never goes unhandled.
 */
export function watchRedis(redis: Redis, url: string, logger: Logger): void {
  let lost = false;
  redis.on('error', (error: Error) => {
    if (lost) return;
    lost = true;
    logger.warn(
      { redis: redactUrl(url), err: error.message },
      `Redis connection lost (${error.message}): reconnecting`,
    );
  });
  redis.on('ready', () => {
    if (!lost) return;
    lost = false;
    logger.info({ redis: redactUrl(url) }, 'Redis connection restored');
  });
}

/**
 * Resolves once `redis` answers PING; rejects with the connection's own error otherwise (e.g.
 * `connect ECONNREFUSED 127.0.0.1:6379`, rather than ioredis' "Connection is closed").
 */
export async function pingRedis(redis: Redis): Promise<void> {
  try {
    if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
    await redis.ping();
  } catch (error) {
    const cause = lastErrors.get(redis);
    if (cause && cause !== error && redis.status !== 'ready') {
      throw new Error(`${cause.message} (${redis.status})`, { cause: error });
    }
    throw error;
  }
}
