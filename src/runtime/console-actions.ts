import type { Config } from '../config/config';
import type { ConsoleActions } from '../http/admin-console/console-deps';
import type { ConversionQueues } from '../queue/conversion-queues';
import { replayConversionDeadLetter } from '../queue/conversion-replay';
import type { ConversionStore } from '../queue/conversion-store';
import type { DeadLetterQueue } from '../queue/dead-letter-queue';
import { readDeliverLeadJob } from '../queue/jobs';
import type { LeadQueue } from '../queue/lead-queue';
import type { RedisClient } from '../shared/redis-client';
import { readPortalReading } from '../queue/activity';
import { runCheck } from './check';
import { PLAN_BUCKETS, readBucketLevel } from '../worker/portal-rate-limiter';
import { resumeDestination } from '../worker/resume-destination';

/** The console's actions, built here because resuming a destination is worker code the HTTP layer may not import. */
export function consoleActions(deps: {
  config: Config;
  redis: RedisClient;
  queue: LeadQueue;
  deadLetters: DeadLetterQueue;
  conversions?: { store: ConversionStore; queues: ConversionQueues };
}): ConsoleActions {
  const { config, redis, queue } = deps;
  // One check at a time per process: it calls every portal outside the shared request budget.
  let checking: Promise<{ ok: boolean; lines: string[] }> | undefined;
  return {
    runCheck() {
      checking ??= (async () => {
        const lines: string[] = [];
        const ok = await runCheck(config, (line) => lines.push(line));
        return { ok, lines };
      })().finally(() => (checking = undefined));
      return checking;
    },
    deadLetters: deps.deadLetters,
    async queuedLead(id, destination) {
      if (!Object.hasOwn(config.destinations, destination)) return undefined;
      const job = await queue.queueFor(destination).getJob(id);
      return job ? readDeliverLeadJob(job.data, job.id).lead : undefined;
    },
    async backlog(destination) {
      return queue.queueFor(destination).getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
    },
    async resumeDestination(name) {
      const target = config.destinations[name];
      if (!target) throw new Error(`no destination ${name}`);
      await resumeDestination({ redis, prefix: config.redis.prefix, name, target, queue: queue.queueFor(name) });
    },
    async portalUse(name) {
      const target = config.destinations[name];
      if (!target) throw new Error(`no destination ${name}`);
      const [bucket, reading] = await Promise.all([
        readBucketLevel(redis, config.redis.prefix, name, { ...PLAN_BUCKETS[target.plan], ...target.rateLimit }),
        readPortalReading(redis, config.redis.prefix, name),
      ]);
      const operating = reading && {
        seconds: reading.operatingSeconds,
        limitSeconds: target.operatingLimitSeconds,
        at: reading.at,
        ...(reading.operatingResetAt ? { resetAt: new Date(reading.operatingResetAt * 1000).toISOString() } : {}),
      };
      return { bucket, ...(operating ? { operating } : {}) };
    },
    deadLetterCount: () => deps.deadLetters.count(),
    ...(deps.conversions ? { conversions: consoleConversions(deps.conversions) } : {}),
  };
}

function consoleConversions(deps: { store: ConversionStore; queues: ConversionQueues }): NonNullable<ConsoleActions['conversions']> {
  return {
    list: (leadId) => deps.store.list(leadId),
    async replay(id) {
      // Read first: the letter is gone once replayed, and the console goes back to its lead.
      const letter = await deps.store.deadLetter(id);
      if (!letter || !(await replayConversionDeadLetter(deps, id))) return undefined;
      const leadId = letter.conversion?.leadId;
      return leadId ? { leadId } : {};
    },
  };
}
