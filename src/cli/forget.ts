import type { Config } from '../config/config';
import { forgetPerson, type ForgetReport } from '../queue/forget-person';
import { createRedis, waitForRedis } from '../queue/redis-connection';

/** Retention of the longest-lived indexed data: status records outlive delivered jobs. */
export function indexedRetentionSeconds(config: Config): number {
  return Math.max(config.delivery.statusRetentionSeconds, config.delivery.deliveredRetentionSeconds);
}

/** `leadgate forget <email|phone>`: removes the person's data from Redis and prints what went. */
export async function runForget(config: Config, contact: string, out: (line: string) => void = console.log): Promise<ForgetReport> {
  const redis = createRedis(config.redis, 'producer');
  try {
    await waitForRedis(redis, 5000);
    const report = await forgetPerson(
      { redis, prefix: config.redis.prefix, destinations: Object.keys(config.destinations), retentionSeconds: indexedRetentionSeconds(config) },
      contact,
    );
    out(JSON.stringify(report));
    return report;
  } finally {
    redis.disconnect();
  }
}
