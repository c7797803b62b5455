import { Job, Queue } from 'bullmq';
import type { Lead } from '../lead/lead';
import { contactHash, leadContacts, normaliseContact } from '../lead/contact-key';
import type { RedisClient } from '../shared/redis-client';
import { contactIndexKey, contactIndexSinceKey } from './contact-index';
import { DeadLetterStore } from './dead-letter-store';
import { LeadSearchIndex } from './lead-search-index';
import { deliveryQueueName, readDeliverLeadJob, type DeliverLeadJob } from './jobs';

/** What `forget` removed, per kind; `leadIds` are the leads found about the person. */
export interface ForgetReport {
  leadIds: string[];
  removed: { statusRecords: number; deadLetters: number; jobs: number; indexes: number };
  /** Jobs a worker held while `forget` ran: removed once it lets go, on a second run. */
  busyJobs: string[];
  /** True when keys written before the contact index existed were scanned too. */
  scanned: boolean;
}

export interface ForgetDeps {
  redis: RedisClient;
  prefix: string;
  destinations: string[];
  /** The longest any indexed data lives: until then, data older than the index may still exist. */
  retentionSeconds: number;
}

function isAbout(lead: Lead | undefined, contact: string): boolean {
  return lead !== undefined && leadContacts(lead.fields).includes(contact);
}

/** Lead ids of delivery jobs about the person, found by reading every job (data older than the index). */
async function scanJobs(deps: ForgetDeps, contact: string): Promise<string[]> {
  const found: string[] = [];
  for (const destination of deps.destinations) {
    const pattern = `${deps.prefix}:${deliveryQueueName(destination)}:*`;
    let cursor = '0';
    do {
      const [next, keys] = (await deps.redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', '500', 'TYPE', 'hash')) as [string, string[]];
      cursor = next;
      for (const key of keys) {
        const data = await deps.redis.hget(key, 'data');
        if (!data) continue;
        try {
          const { lead } = readDeliverLeadJob(JSON.parse(data) as DeliverLeadJob);
          if (isAbout(lead, contact)) found.push(lead.id);
        } catch {
          // Not a delivery job (a duplicate check holds only an id).
        }
      }
    } while (cursor !== '0');
  }
  return found;
}

/** The stream is capped by BullMQ (10,000 events), so reading it whole is bounded. */
async function dropEvents(redis: RedisClient, key: string, ids: Set<string>): Promise<void> {
  if (ids.size === 0) return;
  const entries = await redis.xrange(key, '-', '+');
  const doomed = entries.filter(([, fields]) => fields.some((value, i) => i % 2 === 1 && fields[i - 1] === 'jobId' && ids.has(value))).map(([entryId]) => entryId);
  if (doomed.length > 0) await redis.xdel(key, ...doomed);
}

/**
 * Removes every copy of one person's data leadgate holds in Redis: the leads the contact index (or,
 * for data older than the index, a scan) finds, with their status records, dead letters and BullMQ
 * jobs in any state, and the index entry itself. Platform ids remembered against repeats
 * (`seen:`) and request fingerprints hold no personal data and stay, so a platform's retry is not
 * taken in again as a new lead.
 */
export async function forgetPerson(deps: ForgetDeps, raw: string): Promise<ForgetReport> {
  const contact = normaliseContact(raw);
  const hash = contactHash(raw);
  const { redis, prefix } = deps;
  const ids = new Set(await redis.smembers(contactIndexKey(prefix, hash)));

  const deadLetters = new DeadLetterStore(redis, prefix);
  const search = new LeadSearchIndex(redis, prefix, deps.retentionSeconds);
  // Dead letters never expire (the operator owns them), so they are read, not only looked up.
  for (const id of await deadLetters.ids()) if (isAbout((await deadLetters.get(id))?.lead, contact)) ids.add(id);

  const since = await redis.get(contactIndexSinceKey(prefix));
  const scanned = !since || Date.now() - Date.parse(since) < deps.retentionSeconds * 1000;
  if (scanned) for (const id of await scanJobs(deps, contact)) ids.add(id);

  const report: ForgetReport = { leadIds: [...ids], removed: { statusRecords: 0, deadLetters: 0, jobs: 0, indexes: 0 }, busyJobs: [], scanned };
  const queues = deps.destinations.map((d) => new Queue(deliveryQueueName(d), { connection: redis, prefix }));
  try {
    for (const id of ids) {
      // The lead's other contacts (a phone beside the email asked for) leave their index too.
      const contacts = recordContacts(await redis.hgetall(`${prefix}:lead:${id}`));
      for (const other of contacts.filter((c) => c !== hash)) {
        const key = contactIndexKey(prefix, other);
        // Counted once its last lead is gone: the index key then no longer exists.
        if ((await redis.srem(key, id)) > 0 && (await redis.exists(key)) === 0) report.removed.indexes += 1;
      }
      await search.remove(id);
      report.removed.statusRecords += await redis.del(`${prefix}:lead:${id}`, `${prefix}:lead:${id}:attempts`);
      if (await deadLetters.get(id)) {
        await deadLetters.remove(id);
        report.removed.deadLetters += 1;
      }
      for (const queue of queues) {
        const job = await Job.fromId(queue, id);
        if (!job) continue;
        try {
          await job.remove();
          report.removed.jobs += 1;
        } catch {
          report.busyJobs.push(id);
        }
      }
    }
    // BullMQ's event stream names the jobs (ids and outcomes, no lead data): drop their entries too.
    for (const destination of deps.destinations) await dropEvents(redis, `${prefix}:${deliveryQueueName(destination)}:events`, ids);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
  report.removed.indexes += await redis.del(contactIndexKey(prefix, hash));
  return report;
}

/** The contact hashes a status record lists: `contacts`, `contacts:1`, … (older records: `contacts` comma-separated). */
function recordContacts(record: Record<string, string>): string[] {
  return Object.entries(record)
    .filter(([field]) => field === 'contacts' || field.startsWith('contacts:'))
    .flatMap(([, value]) => value.split(','))
    .filter(Boolean);
}
