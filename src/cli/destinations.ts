import { Queue } from 'bullmq';
import type { Config } from '../config/config';
import { deliveryQueueName, QUEUE_STREAMS } from '../queue/jobs';
import { createRedis, waitForRedis } from '../queue/redis-connection';
import { readBreakerState } from '../worker/destination-breaker';
import { resumeDestination } from '../worker/resume-destination';

/** `leadgate destinations list|resume`: see and lift circuit-breaker pauses. */
export async function runDestinationsCommand(
  config: Config,
  command: { action: 'list' } | { action: 'resume'; name: string },
  out: (line: string) => void = console.log,
): Promise<void> {
  const redis = createRedis(config.redis, 'producer');
  await waitForRedis(redis, 5000);
  const prefix = config.redis.prefix;
  try {
    if (command.action === 'list') {
      for (const name of Object.keys(config.destinations)) {
        const queue = new Queue(deliveryQueueName(name), { connection: redis, prefix, streams: QUEUE_STREAMS });
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
        await queue.close();
        out(JSON.stringify({ destination: name, ...(await readBreakerState(redis, prefix, name)), jobs: counts }));
      }
      return;
    }
    const target = config.destinations[command.name];
    if (!target) throw new Error(`no destination "${command.name}" (have: ${Object.keys(config.destinations).join(', ')})`);
    const queue = new Queue(deliveryQueueName(command.name), { connection: redis, prefix, streams: QUEUE_STREAMS });
    try {
      await resumeDestination({ redis, prefix, name: command.name, target, queue });
    } finally {
      await queue.close();
    }
    out(`resumed ${command.name}`);
  } finally {
    redis.disconnect();
  }
}
