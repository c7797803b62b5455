import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../shared/redis-client';
import { FETCH_META_LEAD_JOB, META_LEADS_QUEUE, QUEUE_STREAMS, metaFetchJobId, type FetchMetaLeadJob } from './jobs';
import { replicated, withinWriteTimeout } from './lead-queue';
import { ReplicaWait } from './replica-wait';

export interface MetaLeadQueueOptions {
  prefix: string;
  attempts: number;
  /** How long a finished fetch job (and so its id) is kept: a second layer of deduplication. */
  completedRetentionSeconds: number;
  enqueueTimeoutMs?: number;
  /** As LeadQueueOptions.waitReplicas: a `200` to Meta only once the replicas hold the jobs. */
  waitReplicas?: { replicas: number; timeoutMs: number };
}

/** Backoff type of fetch jobs: the delivery backoff, stretched to Meta's own estimate after a rate limit. */
export const META_BACKOFF_TYPE = 'leadgate-meta';

/** The producer side of `meta-leads`: one job per announced lead, to be read from the Graph API. */
export class MetaLeadQueue {
  readonly queue: Queue<FetchMetaLeadJob>;
  private readonly replicas: ReplicaWait;

  constructor(redis: RedisClient, private readonly options: MetaLeadQueueOptions) {
    this.replicas = new ReplicaWait(redis, { replicas: 0, timeoutMs: 0, ...options.waitReplicas, slotKey: options.prefix });
    this.queue = new Queue<FetchMetaLeadJob>(META_LEADS_QUEUE, { connection: redis, prefix: options.prefix, streams: QUEUE_STREAMS });
    // Connection errors surface as failed enqueues (503) and are logged by the connection itself.
    this.queue.on('error', () => undefined);
  }

  jobOptions(job: FetchMetaLeadJob): JobsOptions {
    return {
      jobId: metaFetchJobId(job.notification.leadgenId),
      attempts: this.options.attempts,
      backoff: { type: META_BACKOFF_TYPE },
      removeOnComplete: { age: this.options.completedRetentionSeconds },
      // The safety net copies a failed read into the dead-letter queue and removes the job; this age
      // only bounds what a net that never ran would leave behind.
      removeOnFail: { age: this.options.completedRetentionSeconds },
    };
  }

  /** One atomic addBulk: every job is in Redis, or none is (QueueUnavailableError). */
  async enqueueAll(jobs: FetchMetaLeadJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const bulk = jobs.map((data) => ({ name: FETCH_META_LEAD_JOB, data, opts: this.jobOptions(data) }));
    await withinWriteTimeout(replicated(this.queue.addBulk(bulk), this.replicas), this.options.enqueueTimeoutMs);
  }

  /** Drops the finished job of this lead, so its id can be used again (dead-letter replay, purge). */
  async remove(leadgenId: string): Promise<void> {
    const old = await this.queue.getJob(metaFetchJobId(leadgenId));
    if (old) await old.remove();
  }

  /** Dead-letter replay: the same payload (same lead id) with a fresh attempt budget. */
  async requeue(job: FetchMetaLeadJob): Promise<void> {
    await this.remove(job.notification.leadgenId);
    await this.queue.add(FETCH_META_LEAD_JOB, job, this.jobOptions(job));
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
