import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config';
import { createBitrix24Client } from '../crm/bitrix24/create-client';
import { DeadLetterStore } from '../queue/dead-letter-store';
import { deliveryQueueName, type DeliverLeadJob, type DeliveryReceipt } from '../queue/jobs';
import { LeadLedger } from '../queue/lead-ledger';
import { createRedis } from '../queue/redis-connection';
import { BACKOFF_TYPE } from '../queue/lead-queue';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { createDeliveryProcessor } from './deliver-lead';
import { DestinationBreaker } from './destination-breaker';
import { operatingPauseMs } from './operating-budget';
import { PortalDispatcher } from './portal-dispatcher';
import { PLAN_BUCKETS, PortalRateLimiter } from './portal-rate-limiter';
import { retryDelay } from './retry-delay';

export interface DeliveryWorkers {
  /** Stops taking jobs, lets active ones finish within `timeoutMs`, then forces the rest (they become stalled and are retried). */
  close(timeoutMs?: number): Promise<void>;
  readonly workers: Worker[];
}

export interface DeliveryWorkerDeps {
  config: Config;
  /** Connection for ledger, limiter, breaker and dead letters. */
  redis: Redis;
  /**
   * BullMQ's connection (it opens its blocking ones from it). Kept apart from `redis` because ioredis
   * copies the ~60 scripts BullMQ defines on a connection into every MULTI and pipeline made on it.
   */
  bullConnection: Redis;
  logger: Logger;
  metrics: Metrics;
}

/** One BullMQ worker per destination, each with its own portal dispatcher and shared limiter. */
export function startDeliveryWorkers({ config, redis, bullConnection, logger, metrics }: DeliveryWorkerDeps): DeliveryWorkers {
  const prefix = config.redis.prefix;
  const ledger = new LeadLedger(redis, prefix, config.delivery.statusRetentionSeconds);
  const deadLetters = new DeadLetterStore(redis, prefix);
  const workers: Worker[] = [];
  const dispatchers: PortalDispatcher[] = [];
  const breakers: DestinationBreaker[] = [];
  const queues: Queue[] = [];
  const queueEvents: Array<{ events: QueueEvents; redis: Redis }> = [];

  for (const [destination, target] of Object.entries(config.destinations)) {
    const bucket = { ...PLAN_BUCKETS[target.plan], ...target.rateLimit };
    const limiter = new PortalRateLimiter(redis, prefix, destination, bucket);
    const client = createBitrix24Client(destination, target, {
      redis,
      prefix,
      beforeRepeat: async () => {
        // The repeat after a token refresh is a request of its own: it draws on the shared budget too.
        for (let wait = await limiter.acquire(); wait > 0; wait = await limiter.acquire()) await new Promise((r) => setTimeout(r, Math.min(wait, 250)));
      },
      onTime: (time) => {
        // Slow down before the portal blocks the method for ten minutes.
        const pause = operatingPauseMs(time, target.operatingLimitSeconds, Date.now());
        if (pause > 0) {
          logger.warn({ destination, operating: time.operating, pauseMs: pause }, 'operating limit nearly used; holding the destination back');
          void limiter.pause(pause).catch(() => undefined);
        }
      },
    });
    const queue = new Queue(deliveryQueueName(destination), { connection: bullConnection, prefix });
    queue.on('error', () => undefined);
    queues.push(queue);
    const breaker = new DestinationBreaker({
      redis,
      prefix,
      destination,
      queue,
      probeIntervalMs: target.probeIntervalMs,
      probe: async () => {
        await client.call('profile', {});
      },
      onChange: (state) => {
        if (state.open) logger.error({ destination, code: state.code, reason: state.reason }, 'destination paused (circuit breaker open); leads are kept');
        else {
          void limiter.resume().catch(() => undefined);
          logger.info({ destination }, 'destination resumed');
        }
      },
    });
    breaker.startProbing();
    breakers.push(breaker);
    const dispatcher = new PortalDispatcher({
      client,
      limiter,
      markUnsure: (ids) => ledger.markUnsure(ids),
      originatorId: config.delivery.originatorId,
      maxBatchSize: config.delivery.maxBatchSize,
      onRequest: (method, leads) => {
        metrics.requests.inc({ destination, method });
        metrics.batchSize.observe({ destination }, leads);
      },
    });
    dispatchers.push(dispatcher);
    let worker: Worker<DeliverLeadJob, DeliveryReceipt> | undefined;
    const processor = createDeliveryProcessor({
      destination,
      originatorId: config.delivery.originatorId,
      dispatcher,
      ledger,
      deadLetters,
      metrics,
      logger,
      rateLimit: async (ms) => {
        await worker?.rateLimit(ms);
      },
      pauseDestination: async (code, reason) => {
        await breaker.open(code, reason);
        // Leads already waiting in this process stop at once instead of each hitting the portal.
        await limiter.pause(target.probeIntervalMs);
      },
    });
    worker = new Worker<DeliverLeadJob, DeliveryReceipt>(deliveryQueueName(destination), processor, {
      connection: bullConnection,
      prefix,
      concurrency: config.delivery.concurrency,
      // A crashed worker's leads are taken over after this; the unsure mark makes the takeover look before adding.
      lockDuration: config.delivery.lockDurationMs,
      stalledInterval: config.delivery.lockDurationMs,
      maxStalledCount: config.delivery.maxStalls,
      // BullMQ only honours worker.rateLimit() when a limiter is set; this one never binds on its own.
      limiter: { max: 100_000, duration: 1000 },
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string) =>
          type === BACKOFF_TYPE ? retryDelay(attemptsMade, config.delivery.backoff) : config.delivery.backoff.baseDelayMs,
      },
    });
    worker.on('error', (err) => logger.error({ destination, err: err.message }, 'worker error'));
    // Safety net: a lead BullMQ fails outside our processor (stalled too often, a lost lock) still
    // reaches the dead-letter queue with the reason, instead of sitting unseen in the failed set.
    const eventsRedis = createRedis(config.redis.url, 'worker');
    const events = new QueueEvents(deliveryQueueName(destination), { connection: eventsRedis, prefix });
    events.on('error', () => undefined);
    events.on('failed', ({ jobId, failedReason }) => {
      void deadLetterUnhandledFailure(jobId, failedReason).catch((err: Error) => logger.error({ destination, jobId, err: err.message }, 'cannot dead-letter a failed job'));
    });
    queueEvents.push({ events, redis: eventsRedis });
    async function deadLetterUnhandledFailure(jobId: string, failedReason: string): Promise<void> {
      if (await deadLetters.get(jobId)) return;
      const job = await queue.getJob(jobId);
      const lead = (job?.data as DeliverLeadJob | undefined)?.lead;
      if (!lead) return;
      const reason = `delivery failed outside the worker's control: ${failedReason}`;
      await ledger.recordFailure(lead.id, { outcome: 'dead', code: 'STALLED', message: reason }, { status: 'dead', unsure: true });
      const record = await ledger.get(lead.id);
      await deadLetters.add({ lead, reason, code: 'STALLED', deadAt: new Date().toISOString(), attempts: record?.history ?? [] });
      metrics.deadLettered.inc({ destination, code: 'STALLED' });
      logger.warn({ leadId: lead.id, destination, reason }, 'lead dead-lettered');
    }
    workers.push(worker);
  }

  return {
    workers,
    async close(timeoutMs = config.delivery.shutdownTimeoutMs) {
      for (const breaker of breakers) breaker.stopProbing();
      await Promise.all(
        workers.map(async (worker, i) => {
          let timer: NodeJS.Timeout | undefined;
          const graceful = worker.close().then(() => true);
          // Leads still waiting for request budget go back to the queue; only requests in flight are awaited.
          dispatchers[i]!.release();
          const expired = new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          });
          const finished = await Promise.race([graceful, expired]);
          clearTimeout(timer);
          if (!finished) {
            logger.warn({ queue: worker.name }, 'active jobs did not finish in time; they will be retried after the stall check');
            await worker.close(true);
          }
        }),
      );
      await Promise.all([...queues.map((q) => q.close()), ...queueEvents.map(({ events }) => events.close())]);
      for (const { redis: connection } of queueEvents) connection.disconnect();
    },
  };
}
