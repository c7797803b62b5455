import { Job, Queue } from 'bullmq';
import type { RedisClient } from '../shared/redis-client';
import { unindexContact } from './contact-index';
import { DeadLetterStore } from './dead-letter-store';
import { deliveryQueueName, QUEUE_STREAMS } from './jobs';

/** What a forgotten lead had left in leadgate. */
export interface ForgetLeadReport {
  /** The delivery job was removed before it was sent. */
  job: 'removed' | 'absent' | 'busy';
  statusRecord: boolean;
  deadLetter: boolean;
  /** Bitrix24's id when the lead had been delivered already: it stays in the CRM (leadgate never deletes CRM data). */
  deliveredAs?: number;
}

/**
 * Removes what leadgate holds of one lead (the platform withdrew it, e.g. LinkedIn's DELETED): its
 * delivery job if not yet sent, its status record and contact-index entries, its dead letter.
 */
export async function forgetLead(deps: { redis: RedisClient; prefix: string; destinations: string[] }, leadId: string): Promise<ForgetLeadReport> {
  const { redis, prefix } = deps;
  const statusKey = `${prefix}:lead:${leadId}`;
  const [status, bitrixLeadId] = await redis.hmget(statusKey, 'status', 'bitrixLeadId');
  const report: ForgetLeadReport = { job: 'absent', statusRecord: false, deadLetter: false };
  if (status === 'delivered' && bitrixLeadId) report.deliveredAs = Number(bitrixLeadId);
  for (const destination of deps.destinations) {
    const queue = new Queue(deliveryQueueName(destination), { connection: redis, prefix, streams: QUEUE_STREAMS });
    try {
      const job = await Job.fromId(queue, leadId);
      if (job) {
        try {
          await job.remove();
          report.job = 'removed';
        } catch {
          report.job = 'busy';
        }
      }
    } finally {
      await queue.close();
    }
  }
  // `contacts`, `contacts:1`, … (older records: `contacts` comma-separated).
  const record = await redis.hgetall(statusKey);
  const hashes = Object.entries(record).filter(([field]) => field === 'contacts' || field.startsWith('contacts:')).flatMap(([, value]) => value.split(',')).filter(Boolean);
  for (const hash of hashes) await unindexContact(redis, prefix, hash, leadId);
  report.statusRecord = (await redis.del(statusKey, `${statusKey}:attempts`)) > 0;
  const deadLetters = new DeadLetterStore(redis, prefix);
  if (await deadLetters.get(leadId)) {
    await deadLetters.remove(leadId);
    report.deadLetter = true;
  }
  return report;
}
