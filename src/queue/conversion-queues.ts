import { Queue, type JobsOptions } from 'bullmq';
import { QUEUE_STREAMS } from './jobs';
import type { RedisClient } from '../shared/redis-client';
import {
  CONVERSION_PLATFORMS, CRM_READS_QUEUE, READ_CRM_RECORD_JOB, SEND_CONVERSION_JOB, conversionJobId, conversionQueueName,
  type Conversion, type ConversionPlatform, type ReadCrmRecordJob, type SendConversionJob,
} from './conversion-jobs';
import { withinWriteTimeout } from './lead-queue';

export interface ConversionQueuesOptions {
  prefix: string;
  attempts: number;
  /** How long a finished job (and so its id) is kept. */
  completedRetentionSeconds: number;
  enqueueTimeoutMs?: number;
}

/** Backoff type of conversion jobs (the delivery backoff; see conversion-workers.ts). */
export const CONVERSION_BACKOFF_TYPE = 'leadgate-conversion';

/**
 * The producer side of the loop: Bitrix24 records to read, conversions to send. A send job's id is
 * the conversion's, so the same (lead, platform, event) found twice is one job while it is kept.
 */
export class ConversionQueues {
  readonly reads: Queue<ReadCrmRecordJob>;
  private readonly sends = new Map<ConversionPlatform, Queue<SendConversionJob>>();

  constructor(redis: RedisClient, private readonly options: ConversionQueuesOptions) {
    this.reads = new Queue<ReadCrmRecordJob>(CRM_READS_QUEUE, { connection: redis, prefix: options.prefix, streams: QUEUE_STREAMS });
    this.reads.on('error', () => undefined);
    for (const platform of CONVERSION_PLATFORMS) {
      const queue = new Queue<SendConversionJob>(conversionQueueName(platform), { connection: redis, prefix: options.prefix, streams: QUEUE_STREAMS });
      queue.on('error', () => undefined);
      this.sends.set(platform, queue);
    }
  }

  private common(): JobsOptions {
    return {
      attempts: this.options.attempts,
      backoff: { type: CONVERSION_BACKOFF_TYPE },
      removeOnComplete: { age: this.options.completedRetentionSeconds },
      // Failed jobs are dead-lettered by the processor; this age only bounds what a crash leaves.
      removeOnFail: { age: this.options.completedRetentionSeconds },
    };
  }

  /** An outgoing event or a sweep row: one read each (reads are cheap to repeat; conversions are deduplicated). */
  async enqueueRead(job: ReadCrmRecordJob, jobId?: string): Promise<void> {
    await withinWriteTimeout(this.reads.add(READ_CRM_RECORD_JOB, job, { ...this.common(), ...(jobId ? { jobId } : {}) }), this.options.enqueueTimeoutMs);
  }

  sendQueue(platform: ConversionPlatform): Queue<SendConversionJob> {
    return this.sends.get(platform)!;
  }

  async enqueueSend(conversion: Conversion): Promise<void> {
    const job: SendConversionJob = { v: 1, conversion };
    await this.sendQueue(conversion.platform).add(SEND_CONVERSION_JOB, job, { ...this.common(), jobId: conversionJobId(conversion) });
  }

  /** Replay of a dead letter: the old job (kept or failed) goes, the same id comes back with fresh attempts. */
  async requeueSend(conversion: Conversion): Promise<void> {
    const old = await this.sendQueue(conversion.platform).getJob(conversionJobId(conversion));
    if (old) await old.remove();
    await this.enqueueSend(conversion);
  }

  async requeueRead(job: ReadCrmRecordJob): Promise<void> {
    await this.enqueueRead(job);
  }

  /** Jobs per state: the sends by platform, the Bitrix24 reads as `bitrix24` (for leadgate_conversion_jobs). */
  async jobCounts(): Promise<Record<string, Record<string, number>>> {
    const states = ['wait', 'active', 'delayed', 'prioritized', 'failed'] as const;
    const entries = await Promise.all([
      this.reads.getJobCounts(...states).then((counts) => ['bitrix24', counts] as const),
      ...[...this.sends].map(([platform, queue]) => queue.getJobCounts(...states).then((counts) => [platform, counts] as const)),
    ]);
    return Object.fromEntries(entries);
  }

  async close(): Promise<void> {
    await Promise.all([this.reads.close(), ...[...this.sends.values()].map((q) => q.close())]);
  }
}
