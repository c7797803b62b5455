import { deriveLeadId, newLeadId } from '../../src/lead/lead-id';
import type { Lead, LeadSourceKind } from '../../src/lead/lead';
import { LeadLedger, type LeadStatus } from '../../src/queue/lead-ledger';
import type { RedisClient } from '../../src/shared/redis-client';

/** What a seeded lead was filed as: the spec computes its expectations from these, the brute-force way. */
export interface SeededLead {
  id: string;
  kind: LeadSourceKind;
  source: string;
  destination: string;
  status: LeadStatus;
  receivedMs: number;
  externalRef?: string;
  email: string;
}

const SOURCES: Array<[LeadSourceKind, string]> = [
  ['form', 'contact'], ['form', 'contact'], ['form', 'contact'], ['form', 'quote'],
  ['partner', 'acme'], ['partner', 'globex'], ['meta', '1029384756'], ['google', 'g-form-7'],
];
const STATUSES: LeadStatus[] = ['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'queued', 'retrying', 'dead'];

/** A small deterministic generator: the same seed gives the same leads, so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Fills a prefix with `count` leads through the real status-record path (LeadLedger: received,
 * then delivered, retrying or dead), spread over `spanDays` before `now`. Some share a received
 * millisecond, as a partner batch does.
 */
export async function seedLeads(redis: RedisClient, prefix: string, count: number, options: { spanDays?: number; now?: number; seed?: number; concurrency?: number } = {}): Promise<SeededLead[]> {
  const now = options.now ?? Date.now();
  const span = (options.spanDays ?? 20) * 86_400_000;
  const random = generator(options.seed ?? 42);
  const ledger = new LeadLedger(redis, prefix, 30 * 86_400);
  const seeded: SeededLead[] = [];
  let previousMs = now - span;
  for (let i = 0; i < count; i += 1) {
    const [kind, name] = SOURCES[Math.floor(random() * SOURCES.length)]!;
    // Every 50th lead shares the millisecond of the one before it.
    const receivedMs = i % 50 === 49 ? previousMs : now - Math.floor(random() * span);
    previousMs = receivedMs;
    const externalRef = kind === 'partner' ? `ref-${i}` : kind === 'form' ? undefined : `${kind}-lead-${i}`;
    const id = kind === 'partner'
      ? deriveLeadId({ kind, scope: name, id: `ref:${externalRef}` })
      : kind === 'form' ? newLeadId(receivedMs) : deriveLeadId({ kind, scope: '', id: externalRef! });
    seeded.push({
      id, kind, source: `${kind}:${name}`, destination: random() < 0.8 ? 'main' : 'eu',
      status: STATUSES[Math.floor(random() * STATUSES.length)]!, receivedMs,
      ...(externalRef ? { externalRef } : {}), email: `person${i}@example.com`,
    });
  }
  const concurrency = options.concurrency ?? 200;
  for (let start = 0; start < seeded.length; start += concurrency) {
    await Promise.all(seeded.slice(start, start + concurrency).map(async (s) => {
      await ledger.recordQueued(leadOf(s));
      if (s.status === 'delivered') await ledger.recordDelivered(s.id, 1000 + start, false);
      else if (s.status !== 'queued') await ledger.recordFailure(s.id, { outcome: s.status === 'dead' ? 'dead' : 'retry', code: 'QUERY_LIMIT_EXCEEDED', message: 'seeded' }, { status: s.status, unsure: false });
    }));
  }
  return seeded;
}

function leadOf(s: SeededLead): Lead {
  const [kind, name] = s.source.split(/:(.*)/) as [LeadSourceKind, string];
  return {
    id: s.id,
    source: { kind, name, ...(s.externalRef ? { externalId: s.externalRef } : {}) },
    destination: s.destination,
    receivedAt: new Date(s.receivedMs).toISOString(),
    fields: { NAME: `Person ${s.id.slice(-4)}`, EMAIL: [{ VALUE: s.email, VALUE_TYPE: 'WORK' }] },
    utm: {},
    tracking: { clickIds: {} },
    extras: [],
    trackingField: 'COMMENTS',
  };
}
