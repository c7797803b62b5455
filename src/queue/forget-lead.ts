import { Job, Queue } from 'bullmq';
import type { RedisClient } from '../shared/redis-client';
import { unindexContact, unindexLeadEverywhere } from './contact-index';
import { readCompacted, removeCompacted, removePending } from './status-buckets';
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
  const own = await redis.hgetall(statusKey);
  // A lead delivered a while ago has its record compacted into a shared bucket (status-buckets.ts).
  const compacted = own.status ? undefined : (await readCompacted(redis, prefix, [leadId])).get(leadId);
  const { status, bitrixLeadId } = { ...compacted, ...own };
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
  // `contacts`, `contacts:1`, … (older records: `contacts` comma-separated); a compacted record lists
  // none, so every bucket of the contact index is searched for the lead.
  const hashes = Object.entries(own).filter(([field]) => field === 'contacts' || field.startsWith('contacts:')).flatMap(([, value]) => value.split(',')).filter(Boolean);
  for (const hash of hashes) await unindexContact(redis, prefix, hash, leadId);
  if (hashes.length === 0) await unindexLeadEverywhere(redis, prefix, leadId);
  await removePending(redis, prefix, leadId);
  const removedCompacted = compacted !== undefined && (await removeCompacted(redis, prefix, leadId));
  report.statusRecord = (await redis.del(statusKey, `${statusKey}:attempts`)) > 0 || removedCompacted;
  const deadLetters = new DeadLetterStore(redis, prefix);
  if (await deadLetters.get(leadId)) {
    await deadLetters.remove(leadId);
    report.deadLetter = true;
  }
  return report;
}
