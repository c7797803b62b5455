import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Lead } from '../lead/lead';
import { DELIVER_LEAD_JOB, deliveryQueueName, type DeliverLeadJob } from './jobs';

/** Redis did not take the job: the caller must not acknowledge the lead. */
export class QueueUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`queue unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'QueueUnavailableError';
  }
}

export interface LeadQueueOptions {
  prefix: string;
  destinations: string[];
  attempts: number;
  deliveredRetentionSeconds: number;
  /** How long an enqueue may take before the lead is refused with 503 (Redis hung, not down). */
  enqueueTimeoutMs?: number;
}

export const BACKOFF_TYPE = 'leadgate';

/** The producer side: puts normalised leads on their destination's delivery queue. */
export class LeadQueue {
  private readonly queues = new Map<string, Queue<DeliverLeadJob>>();

  constructor(private readonly redis: Redis, private readonly options: LeadQueueOptions) {
    for (const destination of options.destinations) {
      const queue = new Queue<DeliverLeadJob>(deliveryQueueName(destination), { connection: redis, prefix: options.prefix });
      // Connection errors surface as failed enqueues (503); the event itself needs no other handling.
      queue.on('error', () => undefined);
      this.queues.set(destination, queue);
    }
  }

  queueFor(destination: string): Queue<DeliverLeadJob> {
    const queue = this.queues.get(destination);
    if (!queue) throw new Error(`unknown destination "${destination}"`);
    return queue;
  }

  jobOptions(lead: Lead): JobsOptions {
    return {
      // The lead id is the job id: a second add of the same lead is a no-op, never a second delivery.
      jobId: lead.id,
      attempts: this.options.attempts,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { age: this.options.deliveredRetentionSeconds },
      // Failed jobs stay: they are the dead-letter queue's backing record until replayed or purged.
      removeOnFail: false,
    };
  }

  /** Resolves only once Redis holds the job durably; rejects with QueueUnavailableError otherwise. */
  async enqueue(lead: Lead): Promise<void> {
    const queue = this.queueFor(lead.destination);
    const payload: DeliverLeadJob = { v: 1, lead };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        queue.add(DELIVER_LEAD_JOB, payload, this.jobOptions(lead)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis did not answer in time')), this.options.enqueueTimeoutMs ?? 3000);
        }),
      ]);
    } catch (err) {
      throw new QueueUnavailableError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
