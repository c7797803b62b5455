import { Worker, type Job } from 'bullmq';
import type { RedisClient } from '../shared/redis-client';
import type { Config } from '../config/config';
import type { DeadLetterStore } from '../queue/dead-letter-store';
import { META_LEADS_QUEUE, type FetchMetaLeadJob, type FetchMetaLeadResult } from '../queue/jobs';
import type { LeadLedger } from '../queue/lead-ledger';
import type { LeadQueue } from '../queue/lead-queue';
import { META_BACKOFF_TYPE } from '../queue/meta-lead-queue';
import { createRedis } from '../queue/redis-connection';
import { logErrors } from '../shared/log-errors';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { settleWithin } from '../shared/settle-within';
import { MetaGraphClient } from '../clients/meta/graph-client';
import { GraphRateLimitedError } from '../clients/meta/graph-errors';
import type { MetaLeadQueue } from '../queue/meta-lead-queue';
import { SeenIds } from '../queue/seen-ids';
import { startFailedJobNet } from './failed-job-net';
import { createFetchMetaLeadProcessor, deadLetterFetch } from './fetch-meta-lead';
import { startMetaBackfill, type MetaBackfill } from './meta-backfill';
import { startMetaTokenHealth, type MetaTokenChecker } from './meta-token-health';
import { openMetaTokenStore } from './meta-token-store';
import { retryDelay } from './retry-delay';

/** Graph reads one worker process keeps in flight. */
export const META_FETCH_CONCURRENCY = 10;

/**
 * The delay before the next Graph read: the usual backoff, but never sooner than Meta's own
 * estimate after a rate limit (`X-Business-Use-Case-Usage`), which is capped at the backoff's
 * maximum so a wild estimate cannot park a lead for hours.
 */
export function metaRetryDelay(
  attemptsMade: number,
  backoff: { baseDelayMs: number; maxDelayMs: number },
  err: unknown,
  random: () => number = Math.random,
): number {
  const delay = retryDelay(attemptsMade, backoff, random);
  if (err instanceof GraphRateLimitedError && err.retryAfterMs !== undefined) {
    return Math.max(delay, Math.min(err.retryAfterMs, backoff.maxDelayMs));
  }
  return delay;
}

export interface MetaFetchWorker {
  readonly worker: Worker<FetchMetaLeadJob, FetchMetaLeadResult>;
  /** Page-token checks (on start, then every tokenHealth.checkIntervalHours). */
  readonly tokens: MetaTokenChecker;
  /** The backfill poller, when sources.meta.backfill is set. */
  readonly backfill?: MetaBackfill;
  /** Stops taking jobs, lets active reads finish within `timeoutMs`, then forces the rest (they are retried). */
  close(timeoutMs?: number): Promise<void>;
}

export interface MetaFetchWorkerDeps {
  config: Config;
  /** BullMQ's worker connection (kept apart from state writes: ioredis copies BullMQ's scripts into every MULTI on it). */
  redis: RedisClient;
  queue: Pick<LeadQueue, 'enqueue'>;
  /** Token-health records, the backfill lock and seen ids. */
  state: RedisClient;
  /** Where the backfill queues the leads it finds. */
  metaQueue: Pick<MetaLeadQueue, 'enqueueAll'>;
  ledger: Pick<LeadLedger, 'recordQueued' | 'recordFailure' | 'get'>;
  deadLetters: Pick<DeadLetterStore, 'claim' | 'add'>;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Starts the `meta-leads` consumer, the Page-token checks and (when configured) the backfill poller
 * when Meta is configured with an app secret (without one no webhook is accepted and no Graph call
 * can carry an appsecret_proof); otherwise returns undefined.
 */
export function startMetaFetchWorker(deps: MetaFetchWorkerDeps): MetaFetchWorker | undefined {
  const { config, logger } = deps;
  const meta = config.sources?.meta;
  if (!meta?.appSecret) return undefined;
  const graph = new MetaGraphClient({ graphUrl: meta.graphUrl, version: meta.graphVersion, appSecret: meta.appSecret, timeoutMs: meta.graphTimeoutMs });
  const prefix = config.redis.prefix;
  const tokens = startMetaTokenHealth({ meta, graph, store: openMetaTokenStore(deps.state, prefix, meta.tokenHealth), metrics: deps.metrics, logger });
  const processor = createFetchMetaLeadProcessor({ meta, graph, queue: deps.queue, ledger: deps.ledger, deadLetters: deps.deadLetters, metrics: deps.metrics, logger, pages: tokens });
  const { backfill: backfillConfig } = meta;
  const backfill = backfillConfig
    ? startMetaBackfill({
        meta: { ...meta, backfill: backfillConfig },
        graph,
        redis: deps.state,
        prefix,
        seen: new SeenIds(deps.state, prefix),
        metaQueue: deps.metaQueue,
        pages: tokens,
        metrics: deps.metrics,
        logger,
      })
    : undefined;
  const backoff = config.delivery.backoff;
  const worker = new Worker<FetchMetaLeadJob, FetchMetaLeadResult>(META_LEADS_QUEUE, processor, {
    connection: deps.redis,
    prefix: config.redis.prefix,
    concurrency: META_FETCH_CONCURRENCY,
    lockDuration: config.delivery.lockDurationMs,
    stalledInterval: config.delivery.lockDurationMs,
    maxStalledCount: config.delivery.maxStalls,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string, err?: Error) =>
        type === META_BACKOFF_TYPE ? metaRetryDelay(attemptsMade, backoff, err) : backoff.baseDelayMs,
    },
  });
  logErrors(worker, logger, { queue: META_LEADS_QUEUE, part: 'worker' });
  // Safety net, as for deliveries: a read BullMQ fails outside the processor (stalled too often) is dead-lettered.
  const net = startFailedJobNet({
    queueName: META_LEADS_QUEUE,
    prefix: config.redis.prefix,
    connection: deps.redis,
    eventsConnection: createRedis(config.redis, 'worker', { connectionName: `events:${META_LEADS_QUEUE}` }, logger),
    logger,
    rescue: async (job: Job) => {
      const reason = `reading the lead from Meta failed outside the worker's control: ${job.failedReason}`;
      return deadLetterFetch({ meta, ledger: deps.ledger, deadLetters: deps.deadLetters, metrics: deps.metrics, logger }, job.data as FetchMetaLeadJob, { message: reason, code: 'STALLED' });
    },
  });

  return {
    worker,
    tokens,
    ...(backfill ? { backfill } : {}),
    async close(timeoutMs = config.delivery.shutdownTimeoutMs) {
      tokens.close();
      await backfill?.close(timeoutMs);
      if (!(await settleWithin(worker.close(), timeoutMs))) {
        logger.warn({ queue: META_LEADS_QUEUE }, 'active Meta reads did not finish in time; they will be retried after the stall check');
      }
      await net.close();
    },
  };
}
