import type { Config } from '../config/config';
import { ConversionQueues } from '../queue/conversion-queues';
import { replayConversionDeadLetter } from '../queue/conversion-replay';
import { ConversionStore } from '../queue/conversion-store';
import { createRedis, waitForRedis } from '../queue/redis-connection';

/** Operator access to the conversion loop's dead letters and Google export rows, for the CLI. */
export async function openConversionAdmin(config: Config): Promise<{ store: ConversionStore; replay(id: string): Promise<boolean>; close(): Promise<void> }> {
  if (!config.conversions) throw new Error('conversions is not configured');
  const redis = createRedis(config.redis, 'producer');
  await waitForRedis(redis, 5000);
  const store = new ConversionStore(redis, config.redis.prefix, config.conversions.retentionDays);
  const queues = new ConversionQueues(redis, { prefix: config.redis.prefix, attempts: config.delivery.attempts, completedRetentionSeconds: config.delivery.deliveredRetentionSeconds });
  return {
    store,
    replay: (id) => replayConversionDeadLetter({ store, queues }, id),
    async close() {
      await queues.close();
      redis.disconnect();
    },
  };
}
