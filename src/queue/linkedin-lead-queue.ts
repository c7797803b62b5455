import { Job, Queue, type JobsOptions } from 'bullmq';
import { QUEUE_STREAMS } from './jobs';
import { deriveLeadId } from '../lead/lead-id';
import type { RedisClient } from '../shared/redis-client';
import type { LinkedInNotification } from '../lead/linkedin-notification';
import { replicated, withinWriteTimeout } from './lead-queue';
import { ReplicaWait } from './replica-wait';

/**
 * A LinkedIn notification announced a lead (ids only): the worker reads it from the Lead Sync API,
 * then puts the Lead on its delivery queue under `leadId`, fixed here at receipt so a re-run of this
 * job is the same delivery.
 */
export interface FetchLinkedInLeadJobV1 {
  v: 1;
  notification: LinkedInNotification;
  leadId: string;
  receivedAt: string;
}
export type FetchLinkedInLeadJob = FetchLinkedInLeadJobV1;

export const LINKEDIN_LEADS_QUEUE = 'linkedin-leads';
export const FETCH_LINKEDIN_LEAD_JOB = 'fetch-linkedin-lead';

/** The lead id of a LinkedIn response: the same whichever delivery of the notification brought it. */
export function linkedInLeadId(responseId: string): string {
  return deriveLeadId({ kind: 'linkedin', scope: '', id: responseId });
}

export function fetchLinkedInLeadJob(notification: LinkedInNotification, receivedAt: string): FetchLinkedInLeadJobV1 {
  return { v: 1, notification, leadId: linkedInLeadId(notification.responseId), receivedAt };
}

export function linkedInFetchJobId(responseId: string): string {
  return `linkedin-${responseId}`;
}

/** The producer side of `linkedin-leads`: one job per announced response. */
export class LinkedInLeadQueue {
  readonly queue: Queue<FetchLinkedInLeadJob>;
  private readonly replicas: ReplicaWait;

  constructor(redis: RedisClient, private readonly options: { prefix: string; attempts: number; completedRetentionSeconds: number; enqueueTimeoutMs?: number; waitReplicas?: { replicas: number; timeoutMs: number } }) {
    this.replicas = new ReplicaWait(redis, { replicas: 0, timeoutMs: 0, ...options.waitReplicas, slotKey: options.prefix });
    this.queue = new Queue<FetchLinkedInLeadJob>(LINKEDIN_LEADS_QUEUE, { connection: redis, prefix: options.prefix, streams: QUEUE_STREAMS });
    this.queue.on('error', () => undefined);
  }

  jobOptions(job: FetchLinkedInLeadJob): JobsOptions {
    return {
      jobId: linkedInFetchJobId(job.notification.responseId),
      attempts: this.options.attempts,
      backoff: { type: 'leadgate' },
      removeOnComplete: { age: this.options.completedRetentionSeconds },
      removeOnFail: { age: this.options.completedRetentionSeconds },
    };
  }

  /** Durable before it resolves, else QueueUnavailableError: the webhook then answers 503. */
  async enqueue(job: FetchLinkedInLeadJob): Promise<void> {
    await withinWriteTimeout(replicated(this.queue.add(FETCH_LINKEDIN_LEAD_JOB, job, this.jobOptions(job)), this.replicas), this.options.enqueueTimeoutMs);
  }

  /**
   * A DELETED notification: the read still waiting for this response is dropped. 'busy' when a
   * worker holds it right now (its lead is then removed from the delivery queue by the caller).
   */
  async discard(responseId: string): Promise<'removed' | 'absent' | 'busy'> {
    const job = await Job.fromId(this.queue, linkedInFetchJobId(responseId));
    if (!job) return 'absent';
    try {
      await job.remove();
      return 'removed';
    } catch {
      return 'busy';
    }
  }

  /** Dead-letter replay: the same payload (same lead id) with a fresh attempt budget. */
  async requeue(job: FetchLinkedInLeadJob): Promise<void> {
    await this.discard(job.notification.responseId);
    await this.queue.add(FETCH_LINKEDIN_LEAD_JOB, job, this.jobOptions(job));
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
