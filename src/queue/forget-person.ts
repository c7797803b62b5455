import { Job, Queue } from 'bullmq';
import type { Lead } from '../lead/lead';
import { contactHash, leadContacts, normaliseContact, normalisedContactHash } from '../lead/contact-key';
import type { RedisClient } from '../shared/redis-client';
import { contactIndexSinceKey, contactLeadIds, dropContactIndex, unindexContact, unindexLeadEverywhere } from './contact-index';
import { readCompacted, removeCompacted, removePending } from './status-buckets';
import { DeadLetterStore } from './dead-letter-store';
import { bindingLeadIds, externalRefKey } from './idempotency-store';
import { LeadSearchIndex } from './lead-search-index';
import { deliveryQueueName, QUEUE_STREAMS, readDeliverLeadJob, type DeliverLeadJob } from './jobs';
import { ErasureMarkers } from './erasure-markers';
import { SeenIds } from './seen-ids';

/** What `forget` removed, per kind; `leadIds` are the leads found about the person. */
export interface ForgetReport {
  leadIds: string[];
  removed: {
    statusRecords: number;
    deadLetters: number;
    /** Delivery jobs and their late-commit duplicate checks. */
    jobs: number;
    indexes: number;
    /** Idempotency-Key and external_ref bindings (the stored answer to a repeat of the request). */
    idempotencyKeys: number;
    /** Platform lead ids (Meta leadgen_id, Google lead_id): erased, a hashed marker keeps refusing a repeat. */
    seenIds: number;
    /** Claims of a form's duplicate window on the person's e-mail or phone. */
    duplicateWindow: number;
    /** Leads cut out of this process's intake spool (the admin endpoint's; the CLI reaches none). */
    spooled: number;
  };
  /** Whether an intake spool was searched: the answering API process's own. */
  spoolSearched: boolean;
  /** Jobs a worker held while `forget` ran: removed once it lets go, on a second run. */
  busyJobs: string[];
  /** True when keys written before the contact index existed were scanned too. */
  scanned: boolean;
}

/** The one intake spool this process holds, if any. */
export interface ForgetSpool {
  forget(about: (lead: Lead) => boolean): Promise<Lead[]>;
}

export interface ForgetDeps {
  redis: RedisClient;
  prefix: string;
  destinations: string[];
  spool?: ForgetSpool;
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
          // The job's id is the key's last part (a job id never contains ':').
          const { lead } = readDeliverLeadJob(JSON.parse(data) as DeliverLeadJob, key.slice(key.lastIndexOf(':') + 1));
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

/** Where a lead came from, for the keys named after its platform's or partner's own id. */
interface Origin {
  kind: string;
  name: string;
  externalId?: string;
}

const originOf = (lead: Lead | undefined): Origin | undefined => (lead ? { kind: lead.source.kind, name: lead.source.name, ...(lead.source.externalId ? { externalId: lead.source.externalId } : {}) } : undefined);

function originFromRecord(source: string | undefined, externalId: string | undefined): Origin | undefined {
  if (!source) return undefined;
  const colon = source.indexOf(':');
  return { kind: source.slice(0, colon), name: source.slice(colon + 1), ...(externalId ? { externalId } : {}) };
}

/**
 * Removes every copy of one person's data leadgate holds: the leads the contact index (or, for data
 * older than the index, a scan) finds, with their status records, dead letters, BullMQ jobs in any
 * state (duplicate checks included), the index entries, the idempotency bindings naming them, their
 * platform ids (`seen:`, replaced by a hashed marker so a platform's retry or a backfill cannot bring
 * the person back), the duplicate-window claims on their contacts, and what this process's intake
 * spool holds for them (first, so nothing drains into Redis behind the erasure).
 */
export async function forgetPerson(deps: ForgetDeps, raw: string): Promise<ForgetReport> {
  const contact = normaliseContact(raw);
  const hash = contactHash(raw);
  const { redis, prefix } = deps;
  const origins = new Map<string, Origin>();
  const report: ForgetReport = {
    leadIds: [],
    removed: { statusRecords: 0, deadLetters: 0, jobs: 0, indexes: 0, idempotencyKeys: 0, seenIds: 0, duplicateWindow: 0, spooled: 0 },
    busyJobs: [],
    scanned: false,
    spoolSearched: deps.spool !== undefined,
  };
  const ids = new Set<string>();
  const spooled = new Map<string, Lead>();
  if (deps.spool) {
    for (const lead of await deps.spool.forget((l) => isAbout(l, contact))) {
      ids.add(lead.id);
      spooled.set(lead.id, lead);
      origins.set(lead.id, originOf(lead)!);
      report.removed.spooled += 1;
    }
  }
  for (const id of await contactLeadIds(redis, prefix, hash)) ids.add(id);

  const deadLetters = new DeadLetterStore(redis, prefix);
  const search = new LeadSearchIndex(redis, prefix, deps.retentionSeconds);
  // Dead letters never expire (the operator owns them), so they are read, not only looked up.
  for (const id of await deadLetters.ids()) if (isAbout((await deadLetters.get(id))?.lead, contact)) ids.add(id);

  const since = await redis.get(contactIndexSinceKey(prefix));
  report.scanned = !since || Date.now() - Date.parse(since) < deps.retentionSeconds * 1000;
  if (report.scanned) for (const id of await scanJobs(deps, contact)) ids.add(id);
  report.leadIds = [...ids];

  const hashes = new Set([hash]);
  const jobIds = new Set(ids);
  const queues = deps.destinations.map((d) => new Queue(deliveryQueueName(d), { connection: redis, prefix, streams: QUEUE_STREAMS }));
  try {
    for (const id of ids) {
      const own = await redis.hgetall(`${prefix}:lead:${id}`);
      // A lead delivered a while ago has its record compacted into a shared bucket (status-buckets.ts).
      const compacted = own.status ? undefined : (await readCompacted(redis, prefix, [id])).get(id);
      const { source, externalId } = { ...compacted, ...own };
      const letter = await deadLetters.get(id);
      const jobs: Job[] = [];
      for (const queue of queues) {
        const job = await Job.fromId(queue, id);
        if (job) jobs.push(job);
      }
      // The lead itself, where it is still held whole: its contacts are in its fields.
      const lead = letter?.lead ?? jobs.map(jobLead).find((l) => l !== undefined) ?? spooled.get(id);
      // The lead's other contacts (a phone beside the email asked for) leave their index too: from the
      // lead, or the hashes a record of an earlier version lists; with neither (a compacted record whose
      // job is gone), every bucket of the index is searched for the lead.
      const contacts = [...new Set([...recordContacts(own), ...(lead ? leadContacts(lead.fields).map(normalisedContactHash) : [])])];
      if (contacts.length === 0) report.removed.indexes += await unindexLeadEverywhere(redis, prefix, id);
      for (const other of contacts) hashes.add(other);
      for (const other of contacts.filter((c) => c !== hash)) {
        // Counted once its last lead is gone.
        if (await unindexContact(redis, prefix, other, id)) report.removed.indexes += 1;
      }
      const origin = originFromRecord(source ?? undefined, externalId ?? undefined) ?? originOf(lead);
      if (origin) origins.set(id, origin);
      await search.remove(id);
      await removePending(redis, prefix, id);
      const removedCompacted = compacted !== undefined && (await removeCompacted(redis, prefix, id));
      // One per lead, whether or not its attempts needed a history list of their own.
      if ((await redis.del(`${prefix}:lead:${id}`, `${prefix}:lead:${id}:attempts`)) > 0 || removedCompacted) report.removed.statusRecords += 1;
      if (letter) {
        await deadLetters.remove(id);
        report.removed.deadLetters += 1;
      }
      for (const job of jobs) await removeJob(job, id, report);
    }
    const byOrigin = await forgetOrigins(deps, origins);
    report.removed.seenIds += byOrigin.seenIds;
    report.removed.idempotencyKeys += byOrigin.bindings;
    // One walk over the prefix: bindings naming the leads, duplicate-window claims, duplicate checks.
    const checks = await sweepKeys(deps, ids, hashes, report);
    for (const [queueIndex, jobId] of checks) {
      const job = await Job.fromId(queues[queueIndex]!, jobId);
      if (job) await removeJob(job, jobId, report);
      jobIds.add(jobId);
    }
    // BullMQ's event stream names the jobs (ids and outcomes, no lead data): drop their entries too.
    for (const destination of deps.destinations) await dropEvents(redis, `${prefix}:${deliveryQueueName(destination)}:events`, jobIds);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
  report.removed.indexes += await dropContactIndex(redis, prefix, hash);
  // Last, with every contact of the person's leads: other API processes' spools drop what they still hold.
  await new ErasureMarkers(redis, prefix, deps.retentionSeconds).record(hashes);
  return report;
}

/** The lead a delivery job carries; undefined for another job (a duplicate check holds only an id). */
function jobLead(job: Job): Lead | undefined {
  try {
    return readDeliverLeadJob(job.data as DeliverLeadJob, job.id).lead;
  } catch {
    return undefined;
  }
}

async function removeJob(job: Job, id: string, report: ForgetReport): Promise<void> {
  try {
    await job.remove();
    report.removed.jobs += 1;
  } catch {
    report.busyJobs.push(id);
  }
}

/** Platform ids give way to hashed markers; a partner's external_ref binding is named after the ref. */
async function forgetOrigins(deps: ForgetDeps, origins: Map<string, Origin>): Promise<{ seenIds: number; bindings: number }> {
  const seen = new SeenIds(deps.redis, deps.prefix);
  const counts = { seenIds: 0, bindings: 0 };
  for (const origin of origins.values()) {
    if (!origin.externalId) continue;
    if (origin.kind === 'meta' || origin.kind === 'google') {
      if (await seen.forget(origin.kind, origin.externalId)) counts.seenIds += 1;
    } else if (origin.kind === 'partner') {
      // Found by name too: a binding written before bindings named their leads.
      counts.bindings += await deps.redis.del(externalRefKey(deps.prefix, origin.name, origin.externalId));
    }
  }
  return counts;
}

/**
 * Idempotency bindings naming a forgotten lead (or a partner's external_ref of one), duplicate-window
 * claims on the person's contact hashes; returns the duplicate-check jobs of the leads to remove.
 */
async function sweepKeys(deps: ForgetDeps, ids: Set<string>, hashes: Set<string>, report: ForgetReport): Promise<Array<[number, string]>> {
  const { redis, prefix } = deps;
  const checks: Array<[number, string]> = [];
  const queuePrefixes = deps.destinations.map((d) => `${prefix}:${deliveryQueueName(d)}:dup-`);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const bindings = keys.filter((k) => k.startsWith(`${prefix}:idem:`));
    const values = bindings.length > 0 ? await redis.mget(...bindings) : [];
    const doomed = bindings.filter((_, i) => bindingLeadIds(values[i] ?? '').some((id) => ids.has(id)));
    const claims = keys.filter((k) => k.startsWith(`${prefix}:dupe:`) && hashes.has(k.slice(k.lastIndexOf(':') + 1)));
    if (doomed.length > 0) report.removed.idempotencyKeys += await redis.del(...doomed);
    if (claims.length > 0) report.removed.duplicateWindow += await redis.del(...claims);
    for (const key of keys) {
      const q = queuePrefixes.findIndex((p) => key.startsWith(p));
      if (q === -1) continue;
      const jobId = key.slice(key.indexOf(':dup-') + 1);
      // dup-<lead id>-<attempt>, and only the job's own hash (not its :logs / :lock keys).
      const match = /^dup-(.+)-(\d+)$/.exec(jobId);
      if (match && ids.has(match[1]!)) checks.push([q, jobId]);
    }
  } while (cursor !== '0');
  return checks;
}

/** The contact hashes a status record lists: `contacts`, `contacts:1`, … (older records: `contacts` comma-separated). */
function recordContacts(record: Record<string, string>): string[] {
  return Object.entries(record)
    .filter(([field]) => field === 'contacts' || field.startsWith('contacts:'))
    .flatMap(([, value]) => value.split(','))
    .filter(Boolean);
}
