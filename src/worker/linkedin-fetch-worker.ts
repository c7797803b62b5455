import { Worker, type Job } from 'bullmq';
import { LeadSyncClient } from '../clients/linkedin/lead-sync-client';
import { LinkedInTokens } from '../clients/linkedin/linkedin-tokens';
import type { Config } from '../config/config';
import type { DeadLetterStore } from '../queue/dead-letter-store';
import type { LeadLedger } from '../queue/lead-ledger';
import type { LeadQueue } from '../queue/lead-queue';
import { LINKEDIN_LEADS_QUEUE, type FetchLinkedInLeadJob } from '../queue/linkedin-lead-queue';
import { createRedis } from '../queue/redis-connection';
import { logErrors } from '../shared/log-errors';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { RedisClient } from '../shared/redis-client';
import { settleWithin } from '../shared/settle-within';
import { startFailedJobNet } from './failed-job-net';
import { createFetchLinkedInLeadProcessor, deadLetterLinkedInFetch } from './fetch-linkedin-lead';
import { retryDelay } from './retry-delay';

export interface LinkedInFetchWorker {
  readonly worker: Worker<FetchLinkedInLeadJob>;
  close(timeoutMs?: number): Promise<void>;
}

/** Starts the `linkedin-leads` consumer when `sources.linkedin` is configured; otherwise undefined. */
export function startLinkedInFetchWorker(deps: {
  config: Config;
  redis: RedisClient;
  state: RedisClient;
  queue: Pick<LeadQueue, 'enqueue'>;
  ledger: Pick<LeadLedger, 'recordQueued' | 'recordFailure' | 'get'>;
  deadLetters: Pick<DeadLetterStore, 'claim' | 'add'>;
  metrics: Metrics;
  logger: Logger;
  authRetryMs?: number;
}): LinkedInFetchWorker | undefined {
  const { config, logger } = deps;
  const linkedin = config.sources?.linkedin;
  if (!linkedin) return undefined;
  const tokens = new LinkedInTokens(deps.state, config.redis.prefix, linkedin);
  const client = new LeadSyncClient({ apiUrl: linkedin.apiUrl, apiVersion: linkedin.apiVersion, timeoutMs: linkedin.timeoutMs, tokens });
  const processor = createFetchLinkedInLeadProcessor({ linkedin, client, queue: deps.queue, ledger: deps.ledger, deadLetters: deps.deadLetters, metrics: deps.metrics, logger, ...(deps.authRetryMs ? { authRetryMs: deps.authRetryMs } : {}) });
  const backoff = config.delivery.backoff;
  const worker = new Worker<FetchLinkedInLeadJob>(LINKEDIN_LEADS_QUEUE, processor, {
    connection: deps.redis,
    prefix: config.redis.prefix,
    concurrency: 5,
    lockDuration: config.delivery.lockDurationMs,
    stalledInterval: config.delivery.lockDurationMs,
    maxStalledCount: config.delivery.maxStalls,
    settings: { backoffStrategy: (attemptsMade: number) => retryDelay(attemptsMade, backoff) },
  });
  logErrors(worker, logger, { queue: LINKEDIN_LEADS_QUEUE, part: 'worker' });
  const net = startFailedJobNet({
    queueName: LINKEDIN_LEADS_QUEUE,
    prefix: config.redis.prefix,
    connection: deps.redis,
    eventsConnection: createRedis(config.redis, 'worker', { connectionName: `events:${LINKEDIN_LEADS_QUEUE}` }, logger),
    logger,
    rescue: (job: Job) =>
      deadLetterLinkedInFetch({ linkedin, ledger: deps.ledger, deadLetters: deps.deadLetters, metrics: deps.metrics, logger }, job.data as FetchLinkedInLeadJob, {
        message: `reading the lead from LinkedIn failed outside the worker's control: ${job.failedReason}`,
        code: 'STALLED',
      }),
  });
  return {
    worker,
    async close(timeoutMs = config.delivery.shutdownTimeoutMs) {
      if (!(await settleWithin(worker.close(), timeoutMs))) logger.warn({ queue: LINKEDIN_LEADS_QUEUE }, 'active LinkedIn reads did not finish in time; they will be retried after the stall check');
      await net.close();
    },
  };
}
