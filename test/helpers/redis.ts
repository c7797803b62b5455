import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';

/** The shared Redis CI and developers have; tests isolate themselves by key prefix, never by flushing. */
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(name: string): string {
  return `lgtest-${name}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a test's prefix (SCAN, never KEYS/FLUSHALL on a shared server). */
export async function dropPrefix(prefix: string, url = SHARED_REDIS_URL): Promise<void> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
