/**
 * `provdb_queue_jobs{queue,state}`: how many jobs wait, run, wait for a retry or have failed,
 * read from Redis when Prometheus scrapes. A scrape must answer even when Redis does not, so
 * the counts are cached (`cacheTtlMs`) and each read is time-boxed (`timeoutMs`): a slow or
 * absent Redis leaves the last known counts in place (stale), and
 * `provdb_queue_jobs_last_success_timestamp_seconds` tells how old they are.
 */
import { Gauge, type Registry } from 'prom-client';
import type { QueueName } from '../contracts';
import type { Logger } from '../logger';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];
export type QueueCounts = Readonly<Record<QueueState, number>>;

export interface QueueDepthOptions {
  readonly queues: readonly QueueName[];
  /** Reads one queue's counts (e.g. from BullMQ). May be slow or fail: it is time-boxed. */
  fetch(queue: QueueName): Promise<QueueCounts>;
  /** Counts younger than this are served from the cache (default 5 s). */
  readonly cacheTtlMs?: number;
  /** Longest wait for Redis during a scrape (default 1 s). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface QueueDepth {
  /** Reads the counts now unless the cache is fresh; never rejects. */
  refresh(): Promise<void>;
}

function timeout(ms: number): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export function registerQueueDepth(registry: Registry, options: QueueDepthOptions): QueueDepth {
  const cacheTtlMs = options.cacheTtlMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const now = options.now ?? Date.now;
  const cache = new Map<QueueName, { counts: QueueCounts; at: number }>();
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let failing = false;

  async function readQueue(queue: QueueName): Promise<void> {
    // A read that outlives its time box still refreshes the cache when it lands.
    const read = options.fetch(queue).then((counts) => {
      cache.set(queue, { counts, at: now() });
    });
    const box = timeout(timeoutMs);
    try {
      await Promise.race([read, box.promise]);
    } finally {
      box.cancel();
      read.catch(() => undefined);
    }
  }

  function refresh(): Promise<void> {
    if (inflight) return inflight;
    if (now() - lastAttempt < cacheTtlMs) return Promise.resolve();
    lastAttempt = now();
    inflight = Promise.allSettled(options.queues.map(readQueue))
      .then((results) => {
        const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failure && !failing) {
          options.logger?.warn(
            { err: String((failure.reason as Error)?.message ?? failure.reason) },
            'queue statistics unavailable: serving the last known counts',
          );
        } else if (!failure && failing) {
          options.logger?.info('queue statistics available again');
        }
        failing = failure !== undefined;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  new Gauge({
    name: 'provdb_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed); cached, may be stale while Redis is unreachable.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      await refresh();
      this.reset();
      for (const [queue, { counts }] of cache) {
        for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state]);
      }
    },
  });
  new Gauge({
    name: 'provdb_queue_jobs_last_success_timestamp_seconds',
    help: 'When provdb_queue_jobs was last read from Redis (Unix time, seconds).',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      await refresh();
      this.reset();
      for (const [queue, { at }] of cache) this.set({ queue }, at / 1000);
    },
  });

  return { refresh };
}
