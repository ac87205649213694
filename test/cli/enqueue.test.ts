import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/queues/connection';
import { createProducer, type Producer } from '../../src/queues/producer';
import { TEST_REDIS_URL } from '../support/env';
import { ChildWorker } from '../support/process';
import { deletePrefix, uniquePrefix } from '../support/redis';

async function cli(args: string[], env: Record<string, string>) {
  const child = ChildWorker.cli(args, env);
  const { code } = await child.exited;
  const stdout = child.logs.map((l) => l.msg).join('\n');
  return { code, stdout, stderr: child.stderr };
}

describe('provdb-worker enqueue', function () {
  this.slow(5_000);
  const prefix = uniquePrefix('cli-enqueue');
  const env = { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix };
  let redis: Redis;
  let producer: Producer;

  before(async () => {
    redis = createRedis(TEST_REDIS_URL, 'producer');
    await redis.connect();
    producer = createProducer({ connection: redis, prefix });
  });
  after(async () => {
    await producer?.close();
    redis?.disconnect();
    await deletePrefix(prefix);
  });

  it('validates and enqueues a job with jobId = eventId, filling in eventId and occurredAt', async () => {
    const { code, stdout } = await cli(['enqueue', 'booking.created', '{"bookingId": 42}'], env);
    assert.equal(code, 0);
    const match = /^enqueued booking.created on queue bookings \(prefix .*\): jobId ([0-9a-f-]{36})$/.exec(
      stdout,
    );
    assert.ok(match, stdout);
    const job = await producer.queue('bookings').getJob(match[1] as string);
    assert.equal(job?.data.bookingId, 42);
    assert.equal(job?.data.eventId, match[1]);
    assert.ok(!Number.isNaN(Date.parse(job?.data.occurredAt)));
  });

  it('exits 2 with the validation message on a bad payload, even when Redis is unreachable', async () => {
    for (const redisUrl of [TEST_REDIS_URL, 'redis://127.0.0.1:1']) {
      const { code, stderr } = await cli(['enqueue', 'booking.created', '{"bookingId": "abc"}'], {
        ...env,
        REDIS_URL: redisUrl,
      });
      assert.equal(code, 2);
      assert.equal(
        stderr.trim(),
        'provdb-worker: invalid booking.created payload: bookingId: expected a positive integer, got "abc"',
      );
    }
  });

  it('exits 2 on a payload that is not JSON, and on an unknown job name', async () => {
    const notJson = await cli(['enqueue', 'booking.created', '{bookingId: 42}'], env);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /the payload is not valid JSON/);
    const unknown = await cli(['enqueue', 'booking.deleted', '{}'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown job name "booking.deleted": expected one of booking.created, /);
  });

  it('exits 1 naming Redis when it cannot reach it', async () => {
    const { code, stderr } = await cli(['enqueue', 'booking.created', '{"bookingId": 42}'], {
      ...env,
      REDIS_URL: 'redis://:pw-not-shown@127.0.0.1:1',
    });
    assert.equal(code, 1);
    assert.match(
      stderr,
      /Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is not reachable\n {2}caused by: connect ECONNREFUSED/,
    );
    assert.ok(!stderr.includes('pw-not-shown'));
  });
});
