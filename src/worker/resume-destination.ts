import type { Queue } from 'bullmq';
import type { DestinationConfig } from '../config/config';
import type { RedisClient } from '../shared/redis-client';
import { DestinationBreaker } from './destination-breaker';
import { PLAN_BUCKETS, PortalRateLimiter } from './portal-rate-limiter';

/**
 * An operator's resume (`leadgate destinations resume`, the console): closes the breaker, which
 * resumes the queue, and lifts a rate-limit pause the portal asked for, so delivery starts at once.
 */
export async function resumeDestination(options: {
  redis: RedisClient;
  prefix: string;
  name: string;
  target: DestinationConfig;
  queue: Pick<Queue, 'pause' | 'resume' | 'isPaused'>;
}): Promise<void> {
  const { redis, prefix, name, target, queue } = options;
  await new DestinationBreaker({ redis, prefix, destination: name, queue }).close();
  await new PortalRateLimiter(redis, prefix, name, { ...PLAN_BUCKETS[target.plan], ...target.rateLimit }).resume();
}
