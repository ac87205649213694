/**
 * The typed producer for TypeScript callers (the CLI, handlers' follow-ups, tests): validates a
 * payload against its contract, puts it on the job's queue with `jobId = eventId`, so that
 * enqueueing the same event twice makes one job (while the first is retained, see
 * docs/runtime.md; processed_events guards beyond that).
 *
 *     const producer = createProducer({ connection: redis, prefix: config.queuePrefix });
 *     await producer.enqueue('booking.created', { bookingId: 42 });
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  completeEvent,
  type EventInput,
  type JobName,
  type JobPayload,
  type QueueName,
  queueOf,
} from '../contracts';
import type { Logger } from '../logger';

export interface EnqueueOptions {
  /** Run the job no earlier than this many milliseconds from now. */
  delayMs?: number;
}

export interface EnqueuedJob {
  readonly queue: QueueName;
  readonly name: JobName;
  readonly jobId: string;
  readonly eventId: string;
}

export interface Producer {
  /**
   * Validates and enqueues an event; `eventId` (random UUID) and `occurredAt` (now) are filled
   * in when left out. Throws InvalidPayloadError (naming field and value) on a bad payload.
   */
  enqueue<N extends JobName>(name: N, input: EventInput<N>, options?: EnqueueOptions): Promise<EnqueuedJob>;
  /** The BullMQ Queue of a queue name, on the producer's connection (for inspection). */
  queue(name: QueueName): Queue;
  /** Closes the Queue objects; the connection belongs to the caller. */
  close(): Promise<void>;
}

export interface ProducerOptions {
  /** A fail-fast connection (createRedis(url, 'producer' | 'cli')), owned by the caller. */
  connection: Redis;
  prefix: string;
  logger?: Logger;
}

export function createProducer({ connection, prefix, logger }: ProducerOptions): Producer {
  const queues = new Map<QueueName, Queue>();
  let closed = false;

  function queue(name: QueueName): Queue {
    if (closed) throw new Error('the producer is closed');
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix });
      // Connection errors are reported by the connection's own listener (watchRedis).
      q.on('error', (error) => logger?.debug({ queue: name, err: error.message }, 'queue error'));
      queues.set(name, q);
    }
    return q;
  }

  async function add<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions) {
    const eventId = (payload as { eventId: string }).eventId;
    const queueName = queueOf(name);
    const job = await queue(queueName).add(name, payload, {
      jobId: eventId,
      ...(options.delayMs ? { delay: options.delayMs } : {}),
    });
    return { queue: queueName, name, jobId: job.id ?? eventId, eventId };
  }

  return {
    async enqueue(name, input, options = {}) {
      // Validation errors are thrown before anything touches Redis.
      return add(name, completeEvent(name, input), options);
    },
    queue,
    async close() {
      if (closed) return;
      closed = true;
      const errors: unknown[] = [];
      for (const q of queues.values()) await q.close().catch((error: unknown) => errors.push(error));
      if (errors.length > 0)
        throw new Error(`closing queues failed: ${String(errors[0])}`, { cause: errors[0] });
    },
  };
}
