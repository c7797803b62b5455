import { Job, Queue } from 'bullmq';
import type { RedisClient } from '../shared/redis-client';
import { unindexContact, unindexLeadEverywhere } from './contact-index';
import { readCompacted, removeCompacted, removePending } from './status-buckets';
import { DeadLetterStore } from './dead-letter-store';
import { deliveryQueueName, QUEUE_STREAMS, readDeliverLeadJob, type DeliverLeadJob } from './jobs';
import type { Lead } from '../lead/lead';
import { leadContacts, normalisedContactHash } from '../lead/contact-key';

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
  const deadLetters = new DeadLetterStore(redis, prefix);
  const letter = await deadLetters.get(leadId);
  // The lead itself, where it is still held whole: its contacts are in its fields.
  let lead: Lead | undefined = letter?.lead;
  if (status === 'delivered' && bitrixLeadId) report.deliveredAs = Number(bitrixLeadId);
  for (const destination of deps.destinations) {
    const queue = new Queue(deliveryQueueName(destination), { connection: redis, prefix, streams: QUEUE_STREAMS });
    try {
      const job = await Job.fromId(queue, leadId);
      if (job) {
        try {
          lead = readDeliverLeadJob(job.data as DeliverLeadJob, job.id).lead;
        } catch {
          // Not a delivery job's payload.
        }
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
  // From the lead, or the hashes a record of an earlier version lists (`contacts`, `contacts:1`, …,
  // older ones comma-separated); with neither (a compacted record whose job is gone), every bucket of
  // the contact index is searched for the lead.
  const listed = Object.entries(own).filter(([field]) => field === 'contacts' || field.startsWith('contacts:')).flatMap(([, value]) => value.split(',')).filter(Boolean);
  const hashes = [...new Set([...listed, ...(lead ? leadContacts(lead.fields).map(normalisedContactHash) : [])])];
  for (const hash of hashes) await unindexContact(redis, prefix, hash, leadId);
  if (hashes.length === 0) await unindexLeadEverywhere(redis, prefix, leadId);
  await removePending(redis, prefix, leadId);
  const removedCompacted = compacted !== undefined && (await removeCompacted(redis, prefix, leadId));
  report.statusRecord = (await redis.del(statusKey, `${statusKey}:attempts`)) > 0 || removedCompacted;
  if (letter) {
    await deadLetters.remove(leadId);
    report.deadLetter = true;
  }
  return report;
}
