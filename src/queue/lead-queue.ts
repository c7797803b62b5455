import { Queue } from 'bullmq';
import type { RedisClient } from '../shared/redis-client';
import type { Lead } from '../lead/lead';
import { DELIVER_LEAD_JOB, deliverLeadJob, deliveryQueueName, QUEUE_STREAMS, type DeliverLeadJob } from './jobs';
import { ReplicaWait } from './replica-wait';
import type { DeliveryJobOptions } from './standard-job';

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
  /** Replicas that must hold a job before an enqueue resolves (`redis.waitReplicas`); 0 or absent: none. */
  waitReplicas?: { replicas: number; timeoutMs: number };
}

export const BACKOFF_TYPE = 'leadgate';

/**
 * What the delivery worker removes a finished job after (its `removeOnComplete` and `removeOnFail`):
 * a completed job shows the lead's fields on the console's lead page for `deliveredRetentionSeconds`;
 * a failed job's lead lives on in the dead-letter queue (the safety net moves it there and then
 * removes the job), so that age only bounds what a net that never ran would leave behind.
 */
export function deliveryKeepJobs(deliveredRetentionSeconds: number): { removeOnComplete: { age: number }; removeOnFail: { age: number } } {
  return { removeOnComplete: { age: deliveredRetentionSeconds }, removeOnFail: { age: deliveredRetentionSeconds } };
}

/**
 * Waits for a write to Redis, at most `timeoutMs` (Redis hung, not down); any failure becomes a
 * QueueUnavailableError so the caller acknowledges nothing. The write itself may still land later:
 * that is why leads with an identity get ids derived from it (a retry is then the same job).
 */
/** The write, then the replicas' confirmation of it when the config asks for one. */
export async function replicated<T>(write: Promise<T>, replicas: ReplicaWait): Promise<T> {
  const result = await write;
  await replicas.confirm();
  return result;
}

export async function withinWriteTimeout<T>(write: Promise<T>, timeoutMs = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      write,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Redis did not answer in time')), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new QueueUnavailableError(err);
  } finally {
    clearTimeout(timer);
  }
}

/** The producer side: puts normalised leads on their destination's delivery queue. */
export class LeadQueue {
  private readonly queues = new Map<string, Queue<DeliverLeadJob>>();
  private readonly replicas: ReplicaWait;

  constructor(private readonly redis: RedisClient, private readonly options: LeadQueueOptions) {
    this.replicas = new ReplicaWait(redis, { replicas: 0, timeoutMs: 0, ...options.waitReplicas, slotKey: options.prefix });
    for (const destination of options.destinations) {
      const queue = new Queue<DeliverLeadJob>(deliveryQueueName(destination), { connection: redis, prefix: options.prefix, streams: QUEUE_STREAMS });
      // Connection errors surface as failed enqueues (503) and are logged by the connection itself.
      queue.on('error', () => undefined);
      this.queues.set(destination, queue);
    }
  }

  /** Every destination's queue. */
  all(): Array<Queue<DeliverLeadJob>> {
    return [...this.queues.values()];
  }

  queueFor(destination: string): Queue<DeliverLeadJob> {
    const queue = this.queues.get(destination);
    if (!queue) throw new Error(`unknown destination "${destination}"`);
    return queue;
  }

  /**
   * How long a finished job is kept (`deliveredRetentionSeconds`) is the delivery worker's option
   * (DELIVERY_KEEP_JOBS), not each job's: the job hash keeps its options as JSON, and these two were
   * 62 of its ~145 characters (64 bytes a queued lead in jemalloc's size classes). A job an earlier
   * version queued still carries its own, which BullMQ takes first.
   */
  jobOptions(lead: Lead): DeliveryJobOptions {
    return {
      // The lead id is the job id: a second add of the same lead is a no-op, never a second delivery.
      jobId: lead.id,
      attempts: this.options.attempts,
      backoff: { type: BACKOFF_TYPE },
    };
  }

  /** Resolves only once Redis holds the job durably; rejects with QueueUnavailableError otherwise. */
  async enqueue(lead: Lead): Promise<void> {
    const queue = this.queueFor(lead.destination);
    await withinWriteTimeout(replicated(queue.add(DELIVER_LEAD_JOB, deliverLeadJob(lead), this.jobOptions(lead)), this.replicas), this.options.enqueueTimeoutMs);
  }

  /**
   * All or none, per destination: each destination's leads go in one atomic `addBulk`, so a batch
   * for one destination is never half stored. Rejects with QueueUnavailableError.
   */
  async enqueueMany(leads: Lead[]): Promise<void> {
    const byDestination = new Map<string, Lead[]>();
    for (const lead of leads) byDestination.set(lead.destination, [...(byDestination.get(lead.destination) ?? []), lead]);
    for (const [destination, group] of byDestination) {
      const queue = this.queueFor(destination);
      const jobs = group.map((lead) => ({ name: DELIVER_LEAD_JOB, data: deliverLeadJob(lead), opts: this.jobOptions(lead) }));
      await withinWriteTimeout(replicated(queue.addBulk(jobs), this.replicas), this.options.enqueueTimeoutMs);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
