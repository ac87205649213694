import { Redis } from 'ioredis';
import { RUN_ID, TEST_REDIS_URL } from './env';

let counter = 0;

/** A BullMQ prefix no other test (or concurrent test run) uses. */
export function uniquePrefix(label = 't'): string {
  counter += 1;
  return `provdb-test-${RUN_ID}-${process.pid}-${label}-${counter}`;
}

/** Deletes every key under a prefix (never FLUSHDB: the local Redis is shared). */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
