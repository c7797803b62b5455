import { Queue, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../shared/redis-client';
import type { Config, DestinationConfig } from '../config/config';
import { createBitrix24Client } from '../clients/bitrix24/create-client';
import { DealWriter } from '../clients/bitrix24/deal-writer';
import { LeadWriter } from '../clients/bitrix24/lead-writer';
import { DeadLetterStore } from '../queue/dead-letter-store';
import {
  CHECK_DUPLICATES_JOB,
  checkDuplicatesJobId,
  deliveryQueueName,
  readDeliverLeadJob,
  type CheckDuplicatesJobV1,
  type DeliverLeadJob,
  type DeliveryReceipt,
  QUEUE_STREAMS,
} from '../queue/jobs';
import { LeadLedger } from '../queue/lead-ledger';
import { BACKOFF_TYPE, deliveryKeepJobs } from '../queue/lead-queue';
import { createRedis } from '../queue/redis-connection';
import { logErrors } from '../shared/log-errors';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { settleWithin } from '../shared/settle-within';
import { LeadAssigner } from './assign-lead';
import { deadLetterLead } from './dead-letter';
import { ConcurrencyRamp } from './concurrency-ramp';
import { createCrmSteps } from './crm-steps';
import { createDeliveryProcessor } from './deliver-lead';
import { DestinationBreaker } from './destination-breaker';
import { startFailedJobNet, type FailedJobNet } from './failed-job-net';
import { operatingPauseMs } from './operating-budget';
import { PortalDispatcher } from './portal-dispatcher';
import { PLAN_BUCKETS, PortalRateLimiter, type BucketShape } from './portal-rate-limiter';
import { retryDelay } from './retry-delay';

export interface DeliveryWorkers {
  /**
   * Stops taking jobs and lets active ones finish within `timeoutMs`; then aborts requests still in
   * flight (their leads stay marked unsure, so whoever takes them next looks before adding).
   */
  close(timeoutMs?: number): Promise<void>;
  readonly workers: Worker[];
}

export interface DeliveryWorkerDeps {
  config: Config;
  /** Connection for ledger, limiter, breaker and dead letters. */
  redis: RedisClient;
  /**
   * BullMQ's connection (it opens its blocking ones from it). Kept apart from `redis` because ioredis
   * copies the ~60 scripts BullMQ defines on a connection into every MULTI and pipeline made on it.
   */
  bullConnection: RedisClient;
  logger: Logger;
  metrics: Metrics;
}

/** After an aborted request the processor still writes its outcome to Redis; this long at most. */
const ABANDON_GRACE_MS = 2000;

interface DestinationWorker {
  worker: Worker;
  dispatcher: PortalDispatcher;
  breaker: DestinationBreaker;
  queue: Queue;
  net: FailedJobNet;
}

/**
 * Leads one process holds for a destination. `auto`: one second of the portal's ceiling (drain ×
 * batch) plus the batch being filled while the others are in flight, so every batch under load can
 * leave full while memory and what a takeover must wait for stay bounded (standard 150, enterprise 300).
 */
export function deliveryConcurrency(delivery: Pick<Config['delivery'], 'concurrency' | 'maxBatchSize'>, bucket: BucketShape): number {
  if (delivery.concurrency !== 'auto') return delivery.concurrency;
  return Math.min(1000, delivery.maxBatchSize * (Math.ceil(bucket.drainPerSecond) + 1));
}

/** One BullMQ worker per destination, each with its own portal dispatcher and shared limiter. */
export function startDeliveryWorkers(deps: DeliveryWorkerDeps): DeliveryWorkers {
  const { config, logger } = deps;
  const running = Object.entries(config.destinations).map(([name, target]) => startDestinationWorker(deps, name, target));

  return {
    workers: running.map((r) => r.worker),
    async close(timeoutMs = config.delivery.shutdownTimeoutMs) {
      await Promise.all(running.map(({ breaker }) => breaker.stopProbing()));
      await Promise.all(
        running.map(async ({ worker, dispatcher }) => {
          const graceful = worker.close();
          // Leads still waiting for request budget go back to the queue; only requests in flight are awaited.
          dispatcher.release();
          if (await settleWithin(graceful, timeoutMs)) return;
          logger.warn({ queue: worker.name, timeoutMs }, 'requests still in flight at the shutdown limit; abandoning them (their leads are looked up before any retry)');
          dispatcher.abandonInFlight();
          if (!(await settleWithin(graceful, ABANDON_GRACE_MS))) logger.warn({ queue: worker.name }, 'jobs still active after abandoning; they will be taken over after the stall check');
        }),
      );
      await Promise.all(running.map(async ({ queue, net }) => Promise.all([queue.close(), net.close()])));
    },
  };
}

function startDestinationWorker({ config, redis, bullConnection, logger, metrics }: DeliveryWorkerDeps, destination: string, target: DestinationConfig): DestinationWorker {
  const prefix = config.redis.prefix;
  const delivery = config.delivery;
  const ledger = new LeadLedger(redis, prefix, delivery.statusRetentionSeconds, { replicas: config.redis.waitReplicas, timeoutMs: config.redis.waitReplicasTimeoutMs });
  const deadLetters = new DeadLetterStore(redis, prefix);
  const bucket = { ...PLAN_BUCKETS[target.plan], ...target.rateLimit };
  const limiter = new PortalRateLimiter(redis, prefix, destination, bucket, { coldStart: target.coldStart ?? delivery.coldStart });
  const concurrency = deliveryConcurrency(delivery, bucket);
  const client = createBitrix24Client(destination, target, {
    redis,
    prefix,
    beforeRepeat: async () => {
      // The repeat after a token refresh is a request of its own: it draws on the shared budget too.
      for (let wait = await limiter.acquire(); wait > 0; wait = await limiter.acquire()) await new Promise((r) => setTimeout(r, Math.min(wait, 250)));
    },
    onTime: (time) => {
      // The console shows how much of the portal's operating limit is used (written with the next activity flush).
      if (time.operating !== undefined) metrics.activity.portal(destination, { operatingSeconds: time.operating, ...(time.operating_reset_at ? { operatingResetAt: time.operating_reset_at } : {}) });
      // Slow down before the portal blocks the method for ten minutes.
      const pause = operatingPauseMs(time, target.operatingLimitSeconds, Date.now());
      if (pause > 0) {
        logger.warn({ destination, operating: time.operating, pauseMs: pause }, 'operating limit nearly used; holding the destination back');
        void limiter.pause(pause).catch(() => undefined);
      }
    },
  });
  const queueName = deliveryQueueName(destination);
  const queue = new Queue(queueName, { connection: bullConnection, prefix, streams: QUEUE_STREAMS });
  logErrors(queue, logger, { queue: queueName });
  const breaker = new DestinationBreaker({
    redis,
    prefix,
    destination,
    queue,
    probeIntervalMs: target.probeIntervalMs,
    // Needs the crm scope and the CRM module, as crm.lead.add does; `profile` would pass without them.
    probe: async () => {
      await client.call('crm.lead.fields', {});
    },
    onChange: (state) => {
      if (state.open) logger.error({ destination, code: state.code, reason: state.reason }, 'destination paused (circuit breaker open); leads are kept');
      else {
        void limiter.resume().catch(() => undefined);
        logger.info({ destination }, 'destination resumed');
      }
    },
    onError: (err) => logger.error({ destination, err: err.message }, 'circuit breaker tick failed'),
  });
  breaker.startProbing();
  const writer = target.entity === 'deal' ? new DealWriter(client, target.deal) : new LeadWriter(client);
  const dispatcher = new PortalDispatcher({
    writer,
    limiter,
    markUnsure: (ids) => ledger.markUnsure(ids),
    originatorId: delivery.originatorId,
    maxBatchSize: delivery.maxBatchSize,
    holdLimit: concurrency,
    onRequest: (method, leads) => {
      metrics.requests.inc({ destination, method });
      metrics.batchSize.observe({ destination }, leads);
    },
  });
  const assigner = new LeadAssigner({ config, redis, ledger });
  let worker: Worker<DeliverLeadJob | CheckDuplicatesJobV1, DeliveryReceipt | undefined> | undefined;
  const crm = createCrmSteps({
    config,
    destination,
    dispatcher,
    client,
    ledger,
    logger,
    queueIdle: async () => (await queue.getJobCountByTypes('waiting', 'prioritized')) === 0,
  });
  void crm.detectMode();
  const processor = createDeliveryProcessor({
    destination,
    originatorId: delivery.originatorId,
    entity: writer.entity,
    dispatcher,
    ledger,
    crm,
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
    assignee: (lead) => assigner.assigneeFor(lead),
    scheduleDuplicateCheck: async (leadId, attempt) => {
      const payload: CheckDuplicatesJobV1 = { v: 1, leadId };
      await queue.add(CHECK_DUPLICATES_JOB, payload, {
        jobId: checkDuplicatesJobId(leadId, attempt),
        delay: delivery.duplicateCheckDelayMs,
        attempts: delivery.attempts,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { age: delivery.deliveredRetentionSeconds },
        removeOnFail: { age: delivery.deliveredRetentionSeconds },
      });
    },
  });
  // From idle the worker asks for one request's worth of leads at a time (see ConcurrencyRamp).
  const ramp = new ConcurrencyRamp(concurrency, Math.min(delivery.maxBatchSize, writer.leadsPerRequest));
  const rampedProcessor: typeof processor = async (job, token) => {
    ramp.started();
    try {
      return await processor(job, token);
    } finally {
      ramp.ended();
    }
  };
  worker = new Worker<DeliverLeadJob | CheckDuplicatesJobV1, DeliveryReceipt | undefined>(queueName, rampedProcessor, {
    connection: bullConnection,
    prefix,
    concurrency: ramp.initial,
    // A crashed worker's leads are taken over after this; a taken-over job always looks before adding.
    lockDuration: delivery.lockDurationMs,
    stalledInterval: delivery.lockDurationMs,
    maxStalledCount: delivery.maxStalls,
    // Each finished delivery job is removed after deliveredRetentionSeconds (the jobs do not carry it).
    ...deliveryKeepJobs(delivery.deliveredRetentionSeconds),
    // BullMQ only honours worker.rateLimit() when a limiter is set; this one never binds on its own.
    limiter: { max: 100_000, duration: 1000 },
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) => (type === BACKOFF_TYPE ? retryDelay(attemptsMade, delivery.backoff) : delivery.backoff.baseDelayMs),
    },
  });
  logErrors(worker, logger, { queue: queueName, part: 'worker' });
  ramp.attach(worker);

  const net = startFailedJobNet({
    queueName,
    prefix,
    connection: bullConnection,
    eventsConnection: createRedis(config.redis, 'worker', { connectionName: `events:${queueName}` }, logger),
    logger,
    rescue: async (job: Job) => {
      if (job.name === CHECK_DUPLICATES_JOB) return true; // the lead is delivered; the failure was logged by the processor
      const { lead } = readDeliverLeadJob(job.data as DeliverLeadJob, job.id);
      if ((await ledger.deliveryState(lead.id)).deliveredAs !== undefined) return true;
      const reason = `delivery failed outside the worker's control: ${job.failedReason}`;
      return deadLetterLead({ ledger, deadLetters, metrics, logger }, { lead, code: 'STALLED', reason, unsure: true });
    },
  });
  return { worker, dispatcher, breaker, queue, net };
}
