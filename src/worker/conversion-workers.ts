/**
 * The conversion loop's consumers: the Bitrix24 reads (one queue, every destination's calls drawing
 * on that portal's shared budget), one sender per configured platform, and the stage-history sweeps.
 */
import { Worker, type Job } from 'bullmq';
import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import { createBitrix24Client } from '../clients/bitrix24/create-client';
import type { ConversionUploader } from '../clients/conversion-uploader';
import { DestinationThrottledError, PermanentDeliveryError } from '../clients/delivery-errors';
import { DataManagerUploader } from '../clients/google-ads/data-manager-uploader';
import { MetaConversionUploader } from '../clients/meta-capi/meta-uploader';
import type { Config } from '../config/config';
import { CRM_READS_QUEUE, conversionQueueName, readReadCrmRecordJob, type ReadCrmRecordJob, type SendConversionJob } from '../queue/conversion-jobs';
import { CONVERSION_BACKOFF_TYPE, ConversionQueues } from '../queue/conversion-queues';
import { ConversionStore } from '../queue/conversion-store';
import { LeadLedger } from '../queue/lead-ledger';
import { createRedis } from '../queue/redis-connection';
import { conversionMetrics } from '../shared/conversion-metrics';
import { logErrors } from '../shared/log-errors';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { RedisClient } from '../shared/redis-client';
import { settleWithin } from '../shared/settle-within';
import { createConversionReader } from './conversion-reader';
import { createConversionSender } from './conversion-sender';
import { startFailedJobNet, type FailedJobNet } from './failed-job-net';
import { operatingPauseMs } from './operating-budget';
import { PLAN_BUCKETS, PortalRateLimiter } from './portal-rate-limiter';
import { retryDelay } from './retry-delay';
import { startConversionSweeps, type ConversionSweeps } from './conversion-sweep';

/** Concurrent Bitrix24 reads per worker process (each still waits for its portal's budget). */
const READ_CONCURRENCY = 5;

export interface ConversionWorkersDeps {
  config: Config;
  /** BullMQ's worker connection. */
  bullConnection: RedisClient;
  /** Ledger, store, limiter, caches. */
  redis: RedisClient;
  metrics: Metrics;
  logger: Logger;
  /** Platform uploaders replacing the configured ones (tests of the loop's machinery). */
  uploaders?: ConversionUploader[];
}

export interface ConversionWorkers {
  readonly workers: Worker[];
  readonly sweeps: ConversionSweeps;
  close(timeoutMs?: number): Promise<void>;
}

/** Waits for the portal's shared request budget before every call. */
function budgetedClient(client: Bitrix24Client, limiter: PortalRateLimiter, onRequest: (method: string) => void): Pick<Bitrix24Client, 'call'> {
  return {
    async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
      for (let wait = await limiter.acquire(); wait > 0; wait = await limiter.acquire()) await new Promise((r) => setTimeout(r, Math.min(wait, 250)));
      onRequest(method);
      try {
        return await client.call<T>(method, params);
      } catch (err) {
        // The portal refused us for its limits: everyone sharing the budget waits, not only this read.
        if (err instanceof DestinationThrottledError) await limiter.pause(err.retryAfterMs, { bucketFull: true }).catch(() => undefined);
        throw err;
      }
    },
  };
}

export function configuredUploaders(config: Config): ConversionUploader[] {
  const uploaders: ConversionUploader[] = [];
  const conversions = config.conversions;
  if (conversions?.meta) uploaders.push(new MetaConversionUploader(conversions.meta));
  // Without a service account Google conversions are only recorded for the CSV export.
  const google = conversions?.google;
  if (google?.serviceAccount) uploaders.push(new DataManagerUploader({ ...google, serviceAccount: google.serviceAccount }));
  return uploaders;
}

/** Starts the loop when `conversions` is configured; otherwise undefined. */
export function startConversionWorkers(deps: ConversionWorkersDeps): ConversionWorkers | undefined {
  const { config, logger } = deps;
  const conversions = config.conversions;
  if (!conversions) return undefined;
  const prefix = config.redis.prefix;
  const delivery = config.delivery;
  const metrics = conversionMetrics(deps.metrics);
  const store = new ConversionStore(deps.redis, prefix, conversions.retentionDays);
  const queues = new ConversionQueues(deps.bullConnection, { prefix, attempts: delivery.attempts, completedRetentionSeconds: delivery.deliveredRetentionSeconds });
  const ledger = new LeadLedger(deps.redis, prefix, delivery.statusRetentionSeconds);

  const clients = new Map<string, Pick<Bitrix24Client, 'call'>>();
  const crm = (destination: string): Pick<Bitrix24Client, 'call'> => {
    let found = clients.get(destination);
    if (found) return found;
    const target = config.destinations[destination];
    if (!target) throw new PermanentDeliveryError(`no destination named "${destination}"`, { code: 'UNKNOWN_DESTINATION' });
    // The same bucket key as the delivery worker's: reads and deliveries share one budget per portal.
    const limiter = new PortalRateLimiter(deps.redis, prefix, destination, { ...PLAN_BUCKETS[target.plan], ...target.rateLimit });
    const client = createBitrix24Client(destination, target, {
      redis: deps.redis,
      prefix,
      beforeRepeat: async () => {
        for (let wait = await limiter.acquire(); wait > 0; wait = await limiter.acquire()) await new Promise((r) => setTimeout(r, Math.min(wait, 250)));
      },
      onTime: (time) => {
        const pause = operatingPauseMs(time, target.operatingLimitSeconds, Date.now());
        if (pause > 0) void limiter.pause(pause).catch(() => undefined);
      },
    });
    found = budgetedClient(client, limiter, (method) => deps.metrics.requests.inc({ destination, method }));
    clients.set(destination, found);
    return found;
  };

  const backoffStrategy = (attemptsMade: number, type?: string, err?: Error) => {
    if (type !== CONVERSION_BACKOFF_TYPE) return delivery.backoff.baseDelayMs;
    const delay = retryDelay(attemptsMade, delivery.backoff);
    return err instanceof DestinationThrottledError ? Math.max(delay, err.retryAfterMs) : delay;
  };
  const workerOptions = {
    connection: deps.bullConnection,
    prefix,
    lockDuration: delivery.lockDurationMs,
    stalledInterval: delivery.lockDurationMs,
    maxStalledCount: delivery.maxStalls,
    settings: { backoffStrategy },
  };

  const read = createConversionReader({ conversions, originatorId: delivery.originatorId, crm, ledger, store, queues, redis: deps.redis, prefix, metrics, logger });
  const deadRead = async (job: ReadCrmRecordJob, code: string, reason: string) => {
    await store.addDeadLetter(`read-${job.destination}-${job.entity}-${job.id}-${Date.parse(job.receivedAt)}`, { kind: 'read', read: job, code, reason, deadAt: new Date().toISOString() });
    metrics.deadLettered.inc({ platform: 'bitrix24', code });
    logger.warn({ destination: job.destination, entity: job.entity, crmId: job.id, code, reason }, 'Bitrix24 read for conversions dead-lettered');
    return true;
  };
  const readWorker = new Worker<ReadCrmRecordJob>(
    CRM_READS_QUEUE,
    async (job) => {
      const data = readReadCrmRecordJob(job.data);
      try {
        return await read(data);
      } catch (err) {
        const code = (err as { code?: string }).code || 'ERROR';
        const message = (err as Error).message;
        if (err instanceof PermanentDeliveryError || job.attemptsMade + 1 >= delivery.attempts) {
          await deadRead(data, code, err instanceof PermanentDeliveryError ? message : `gave up after ${job.attemptsMade + 1} attempts: ${message}`);
          return { outcome: 'dead' };
        }
        metrics.retried.inc({ platform: 'bitrix24', kind: code });
        throw err;
      }
    },
    { ...workerOptions, concurrency: READ_CONCURRENCY },
  );
  logErrors(readWorker, logger, { queue: CRM_READS_QUEUE, part: 'worker' });

  const nets: FailedJobNet[] = [
    startFailedJobNet({
      queueName: CRM_READS_QUEUE,
      prefix,
      connection: deps.bullConnection,
      eventsConnection: createRedis(config.redis, 'worker', { connectionName: `events:${CRM_READS_QUEUE}` }, logger),
      logger,
      rescue: (job: Job) => deadRead(job.data as ReadCrmRecordJob, 'STALLED', `the read failed outside the worker's control: ${job.failedReason}`),
    }),
  ];
  const workers: Worker[] = [readWorker];
  const senders: Array<{ drain(): Promise<void> }> = [];
  for (const uploader of deps.uploaders ?? configuredUploaders(config)) {
    const platformConfig = uploader.platform === 'meta' ? conversions.meta : conversions.google;
    const sender = createConversionSender({ uploader, store, attempts: delivery.attempts, lingerMs: platformConfig?.lingerMs ?? 200, metrics, logger });
    senders.push(sender);
    const queueName = conversionQueueName(uploader.platform);
    // As many jobs in hand as fit in one request, so a backlog leaves in full batches.
    const worker = new Worker<SendConversionJob>(queueName, (job) => sender.process(job.data, job.attemptsMade), { ...workerOptions, concurrency: uploader.maxBatch });
    logErrors(worker, logger, { queue: queueName, part: 'worker' });
    workers.push(worker);
    nets.push(
      startFailedJobNet({
        queueName,
        prefix,
        connection: deps.bullConnection,
        eventsConnection: createRedis(config.redis, 'worker', { connectionName: `events:${queueName}` }, logger),
        logger,
        rescue: async (job: Job) => {
          const { conversion } = job.data as SendConversionJob;
          const record = await store.get(conversion);
          if (record && (record.status === 'sent' || record.status === 'expired' || record.status === 'dead')) return true;
          await sender.deadLetter(conversion, 'STALLED', `the send failed outside the worker's control: ${job.failedReason}`, job.attemptsMade);
          return true;
        },
      }),
    );
  }
  const sweeps = startConversionSweeps({ config, conversions, crm, queues, redis: deps.redis, prefix, metrics, logger });

  return {
    workers,
    sweeps,
    async close(timeoutMs = delivery.shutdownTimeoutMs) {
      await sweeps.close();
      const closing = Promise.all(workers.map((w) => w.close()));
      await Promise.all(senders.map((s) => s.drain()));
      if (!(await settleWithin(closing, timeoutMs))) logger.warn('conversion jobs still active at the shutdown limit; they are retried after the stall check');
      await Promise.all(nets.map((n) => n.close()));
      await queues.close();
    },
  };
}
