import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';
import type { RedisClient } from '../shared/redis-client';

/** How often an API connection is pinged. */
const PING_INTERVAL_MS = 1000;

export interface HangWatchdog {
  stop(): void;
}

/**
 * A Redis that hangs (a stopped or swapping server, a network that drops packets without a reset)
 * keeps the connection open, so every command waits out its commandTimeout (3 s) before intake falls
 * back to the spool: the rate limiter's, then the write's, request after request. A PING unanswered
 * within `timeoutMs` drops the connection instead: while ioredis reconnects (its ready check waits
 * until the server answers again) commands fail at once, so requests go straight to the spool, and
 * resume as soon as Redis answers. A reply that arrived while the event loop was busy is read before
 * the verdict, so a loaded process does not take itself for a hung Redis.
 */
export function watchForHang(redis: RedisClient, options: { timeoutMs: number; logger: Logger; name: string; intervalMs?: number }): HangWatchdog {
  if (options.timeoutMs <= 0 || redis.isCluster) return { stop: () => undefined };
  const connection = redis as Redis;
  let probing = false;
  const timer = setInterval(() => {
    if (probing || connection.status !== 'ready') return;
    probing = true;
    void probe().finally(() => {
      probing = false;
    });
  }, options.intervalMs ?? PING_INTERVAL_MS);
  timer.unref();

  async function probe(): Promise<void> {
    let answered = false;
    // An error reply is an answer too: the server is there.
    const ping = connection.ping().then(
      () => undefined,
      () => undefined,
    );
    void ping.then(() => {
      answered = true;
    });
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([ping, new Promise((resolve) => (waited = setTimeout(resolve, options.timeoutMs)))]);
    clearTimeout(waited);
    if (!answered) await new Promise((resolve) => setImmediate(resolve));
    if (answered || connection.status !== 'ready') return;
    options.logger.warn({ redis: options.name, timeoutMs: options.timeoutMs }, 'Redis did not answer a PING in time; dropping the connection so requests use the intake spool until it answers again');
    connection.disconnect(true);
  }

  return { stop: () => clearInterval(timer) };
}
