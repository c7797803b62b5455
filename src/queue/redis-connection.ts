import IORedis, { type Redis, type RedisOptions } from 'ioredis';
import { logErrors } from '../shared/log-errors';
import type { Logger } from '../shared/logger';

/**
 * Producers (the API) fail fast so a request can answer 503 instead of hanging while Redis is away;
 * workers wait for Redis as long as it takes (BullMQ requires maxRetriesPerRequest: null).
 */
export function createRedis(url: string, role: 'producer' | 'worker', extra: RedisOptions = {}, logger?: Logger): Redis {
  const base: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 3000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  const redis = new IORedis(url, {
    ...base,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: false,
    ...extra,
  });
  // ioredis emits 'error' on every failed reconnect; unhandled it would crash the process. One-shot
  // CLI commands pass no logger: their command fails with the error instead.
  if (logger) logErrors(redis, logger, { redis: extra.connectionName ?? role });
  else redis.on('error', () => undefined);
  return redis;
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
