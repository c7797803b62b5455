import { createHash } from 'node:crypto';
import type { Lead } from '../../lead/lead';
import type { FetchMetaLeadJob } from '../jobs';
import type { FetchLinkedInLeadJob } from '../linkedin-lead-queue';

/**
 * What one intake call handed over while Redis could not take it: the leads of one request (all or
 * none, as `acceptMany` promises), or the Meta or LinkedIn fetch jobs of one webhook. `seen` carries the
 * platform ids the route could not remember in Redis, for the drainer to remember once it can.
 */
export type SpoolEntry =
  | { v: 1; kind: 'leads'; spooledAt: string; leads: Lead[]; seen?: { source: string; ids: string[] } }
  | { v: 1; kind: 'meta'; spooledAt: string; jobs: FetchMetaLeadJob[] }
  | { v: 1; kind: 'linkedin'; spooledAt: string; jobs: FetchLinkedInLeadJob[] };

/** Length (4 bytes) and checksum (8 bytes) before each JSON payload. */
export const HEADER_BYTES = 12;
const CHECKSUM_BYTES = 8;

/** Node 20 has no zlib.crc32; a truncated SHA-256 over length and payload finds a torn or flipped record as well. */
function checksum(length: Buffer, payload: Buffer): Buffer {
  return createHash('sha256').update(length).update(payload).digest().subarray(0, CHECKSUM_BYTES);
}

export function encodeRecord(entry: SpoolEntry): Buffer {
  const payload = Buffer.from(JSON.stringify(entry), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(payload.length);
  return Buffer.concat([length, checksum(length, payload), payload]);
}

/** A record that could not be read back: a write cut short by a crash, or bytes changed on disk. */
export interface RecordProblem {
  offset: number;
  kind: 'torn' | 'checksum' | 'unreadable';
  /** Bytes left unread because of it. */
  bytes: number;
}

/**
 * Reads a segment's records in order. A record that runs past the end (the last write, cut short by
 * a crash before its fsync, hence never acknowledged) ends the segment; a checksum mismatch skips
 * that one record by its length and reading goes on.
 */
export function decodeRecords(data: Buffer): { entries: SpoolEntry[]; problems: RecordProblem[] } {
  const entries: SpoolEntry[] = [];
  const problems: RecordProblem[] = [];
  let offset = 0;
  while (offset < data.length) {
    const rest = data.length - offset;
    const length = rest >= HEADER_BYTES ? data.readUInt32BE(offset) : Number.POSITIVE_INFINITY;
    if (HEADER_BYTES + length > rest) {
      problems.push({ offset, kind: 'torn', bytes: rest });
      break;
    }
    const end = offset + HEADER_BYTES + length;
    const payload = data.subarray(offset + HEADER_BYTES, end);
    const expected = checksum(data.subarray(offset, offset + 4), payload);
    if (!expected.equals(data.subarray(offset + 4, offset + HEADER_BYTES))) {
      problems.push({ offset, kind: 'checksum', bytes: end - offset });
    } else {
      const entry = parseEntry(payload);
      if (entry) entries.push(entry);
      else problems.push({ offset, kind: 'unreadable', bytes: end - offset });
    }
    offset = end;
  }
  return { entries, problems };
}

function parseEntry(payload: Buffer): SpoolEntry | undefined {
  try {
    const entry = JSON.parse(payload.toString('utf8')) as SpoolEntry;
    // A version this process does not know is left unread (and reported) rather than guessed at.
    if (entry.v !== 1 || (entry.kind !== 'leads' && entry.kind !== 'meta' && entry.kind !== 'linkedin')) return undefined;
    return entry;
  } catch {
    return undefined;
  }
}

/** The lead ids an entry stands for: what GET /v1/leads/:id and the depth gauge count. */
export function entryLeads(entry: SpoolEntry): Array<{ id: string; source: string; externalId?: string; destination?: string; receivedAt: string }> {
  if (entry.kind === 'leads') {
    return entry.leads.map((lead) => ({
      id: lead.id,
      source: `${lead.source.kind}:${lead.source.name}`,
      ...(lead.source.externalId ? { externalId: lead.source.externalId } : {}),
      destination: lead.destination,
      receivedAt: lead.receivedAt,
    }));
  }
  if (entry.kind === 'linkedin') {
    return entry.jobs.map((job) => ({ id: job.leadId, source: 'linkedin:linkedin', externalId: job.notification.responseId, receivedAt: job.receivedAt }));
  }
  return entry.jobs.map((job) => ({ id: job.leadId, source: `meta:${job.notification.pageId}`, externalId: job.notification.leadgenId, receivedAt: job.receivedAt }));
}
