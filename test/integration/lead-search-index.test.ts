/**
 * The console's lead search index (src/queue/lead-search-index.ts) against a real Redis, filled with
 * 3,000 leads through the real status-record path: every filter and every way of paging gives what a
 * brute-force pass over the seeded leads gives, pages stay stable while leads arrive and change, and
 * the index keeps what the status records keep.
 */
import IORedis from 'ioredis';
import type { Lead } from '../../src/lead/lead';
import { LeadLedger } from '../../src/queue/lead-ledger';
import { LeadSearchIndex, pairKey, searchKey, type LeadSearchFilter } from '../../src/queue/lead-search-index';
import type { WalkCursor } from '../../src/queue/sorted-set-walk';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { seedLeads, type SeededLead } from '../helpers/seed-leads';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const NOW = Date.now();
const redis = new IORedis(SHARED_REDIS_URL);
const prefix = uniquePrefix('lead-search');
const index = new LeadSearchIndex(redis, prefix, 30 * 86_400);
let seeded: SeededLead[];

beforeAll(async () => {
  seeded = await seedLeads(redis, prefix, 3000, { now: NOW, spanDays: 20 });
}, 120_000);
afterAll(async () => {
  await dropPrefix(prefix);
  redis.disconnect();
});

/** Newest first; equal received times by id, descending (Redis' own order). */
function expected(filter: LeadSearchFilter, leads = seeded): string[] {
  return leads
    .filter((l) => (!filter.status || l.status === filter.status)
      && (!filter.kind || l.kind === filter.kind)
      && (!filter.source || l.source === filter.source)
      && (!filter.destination || l.destination === filter.destination)
      && (filter.from === undefined || l.receivedMs >= filter.from)
      && (filter.to === undefined || l.receivedMs < filter.to))
    .sort((a, b) => b.receivedMs - a.receivedMs || (a.id < b.id ? 1 : -1))
    .map((l) => l.id);
}

async function everyPage(filter: LeadSearchFilter, limit: number, budget?: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: WalkCursor | undefined;
  let pages = 0;
  for (;;) {
    const page = await index.search(filter, { ...(cursor ? { cursor } : {}), limit, ...(budget ? { budget } : {}) });
    pages += 1;
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    ids.push(...page.entries.map((e) => e.id));
    if (!page.next) return { ids, pages };
    cursor = page.next;
  }
}

describe('lead search over 3,000 leads', () => {
  it('pages through every lead, newest first, each exactly once, with ties in one millisecond kept apart', async () => {
    const { ids, pages } = await everyPage({}, 50);
    expect(ids).toEqual(expected({}));
    expect(pages).toBe(60);
  });

  it.each<[string, LeadSearchFilter]>([
    ['status', { status: 'dead' }],
    ['status and source kind', { status: 'delivered', kind: 'partner' }],
    ['source and destination', { source: 'form:quote', destination: 'eu' }],
    ['status, source kind and received dates', { status: 'retrying', kind: 'form', from: NOW - 12 * DAY, to: NOW - 5 * DAY }],
    ['a source kind with one source', { kind: 'meta' }],
    ['everything at once', { status: 'delivered', kind: 'partner', source: 'partner:acme', destination: 'main', from: NOW - 15 * DAY, to: NOW - DAY }],
  ])('filters by %s exactly as a pass over every lead does', async (_name, filter) => {
    const want = expected(filter);
    expect(want.length).toBeGreaterThan(10);
    expect((await everyPage(filter, 25)).ids).toEqual(want);
  });

  it('finds nothing for a source kind or destination no lead came from', async () => {
    expect((await index.search({ kind: 'google', destination: 'nowhere' }, { limit: 10 })).entries).toEqual([]);
    expect((await index.search({ source: 'form:unknown' }, { limit: 10 })).entries).toEqual([]);
  });

  it('stops a walk at its budget with a partial page, and continuing it finds the rest', async () => {
    const filter: LeadSearchFilter = { status: 'dead', destination: 'eu', kind: 'google' };
    const first = await index.search(filter, { limit: 50, budget: 40 });
    expect(first.partial).toBe(true);
    expect(first.scanned).toBe(40);
    expect((await everyPage(filter, 50, 40)).ids).toEqual(expected(filter));
  });

  it('keeps a page stable while newer leads arrive and a listed lead changes status', async () => {
    const filter: LeadSearchFilter = { status: 'delivered', destination: 'main' };
    const want = expected(filter);
    const first = await index.search(filter, { limit: 20 });
    const ledger = new LeadLedger(redis, prefix, 30 * 86_400);
    // A new lead arrives (it sorts first), and the lead the cursor points at leaves the status set.
    const arriving = await seedLeads(redis, prefix, 1, { now: Date.now(), spanDays: 0.0001, seed: 7 });
    await ledger.recordFailure(first.next!.id, { outcome: 'dead', code: 'X', message: 'late' }, { status: 'dead', unsure: false });
    const second = await index.search(filter, { cursor: first.next!, limit: 20 });
    expect(second.entries.map((e) => e.id)).toEqual(want.slice(20, 40));
    expect((await index.search({ status: 'dead' }, { limit: 5000 })).entries.map((e) => e.id)).toContain(first.next!.id);
    await ledger.recordDelivered(first.next!.id, 1, false);
    await index.remove(arriving[0]!.id);
  });

  it('files a lead under the status its record holds, also when the worker recorded the delivery first', async () => {
    const ledger = new LeadLedger(redis, prefix, 30 * 86_400);
    const lead: Lead = { id: 'lg_fastworker0000000001', source: { kind: 'form', name: 'contact' }, destination: 'main', receivedAt: new Date().toISOString(), fields: {}, utm: {}, tracking: { clickIds: {} }, extras: [], trackingField: 'COMMENTS' };
    await ledger.recordDelivered(lead.id, 77, false);
    await ledger.recordQueued(lead);
    const delivered = await index.search({ status: 'delivered', source: 'form:contact' }, { limit: 1 });
    expect(delivered.entries[0]?.id).toBe(lead.id);
    expect(await redis.zscore(searchKey(prefix, 'status', 'queued'), lead.id)).toBeNull();

    await index.remove(lead.id);
    for (const key of [searchKey(prefix, 'status', 'delivered'), pairKey(prefix, 'main', 'form:contact')]) {
      expect(await redis.zscore(key, lead.id)).toBeNull();
    }
  });
});

describe('retention', () => {
  it('keeps what the status records keep: older entries are trimmed as sets are written, and every set expires with them', async () => {
    const own = uniquePrefix('lead-search-retention');
    try {
      const ledger = new LeadLedger(redis, own, 3600);
      const lead = (id: string, ageMs: number): Lead => ({ id, source: { kind: 'partner', name: 'acme' }, destination: 'main', receivedAt: new Date(Date.now() - ageMs).toISOString(), fields: {}, utm: {}, tracking: { clickIds: {} }, extras: [], trackingField: 'COMMENTS' });
      // Received two hours ago with a one-hour retention (a clock or an import can do this).
      await ledger.recordQueued(lead('lg_old00000000000000001', 2 * 3600_000));
      await ledger.recordQueued(lead('lg_new00000000000000001', 1000));
      const search = new LeadSearchIndex(redis, own, 3600);
      expect((await search.search({}, { limit: 10 })).entries.map((e) => e.id)).toEqual(['lg_new00000000000000001']);
      expect(await redis.zscore(pairKey(own, 'main', 'partner:acme'), 'lg_old00000000000000001')).toBeNull();
      for (const key of [pairKey(own, 'main', 'partner:acme'), searchKey(own, 'status', 'queued'), `${own}:search:dims`]) {
        const ttl = await redis.ttl(key);
        expect(ttl).toBeGreaterThan(3500);
        expect(ttl).toBeLessThanOrEqual(3600);
      }
    } finally {
      await dropPrefix(own);
    }
  });
});

describe('the index an earlier version wrote (one set per source and one per destination)', () => {
  it('is still searched, its leads change status, and forget removes them, until those sets expire', async () => {
    const own = uniquePrefix('lead-search-legacy');
    try {
      const ledger = new LeadLedger(redis, own, 3600);
      const search = new LeadSearchIndex(redis, own, 3600);
      const at = Date.now() - 60_000;
      const old = 'lg_legacy0000000000000001';
      // What the earlier version left: the record, its source and destination sets, its status set.
      await redis.hset(`${own}:lead:${old}`, { status: 'queued', source: 'partner:acme', destination: 'main', receivedAt: new Date(at).toISOString() });
      await redis.zadd(searchKey(own, 'source', 'partner:acme'), at, old);
      await redis.zadd(searchKey(own, 'dest', 'main'), at, old);
      await redis.zadd(searchKey(own, 'status', 'queued'), at, old);
      await redis.sadd(`${own}:search:dims`, 'source:partner:acme', 'dest:main');
      // A lead indexed the new way beside it.
      const fresh: Lead = { id: 'lg_fresh00000000000000001', source: { kind: 'partner', name: 'acme' }, destination: 'main', receivedAt: new Date().toISOString(), fields: {}, utm: {}, tracking: { clickIds: {} }, extras: [], trackingField: 'COMMENTS' };
      await ledger.recordQueued(fresh);

      const ids = async (filter: LeadSearchFilter) => (await search.search(filter, { limit: 10 })).entries.map((e) => e.id);
      expect(await ids({})).toEqual([fresh.id, old]);
      expect(await ids({ source: 'partner:acme', destination: 'main' })).toEqual([fresh.id, old]);
      expect(await ids({ kind: 'partner', status: 'queued' })).toEqual([fresh.id, old]);
      await ledger.recordDelivered(old, 5, false);
      expect(await ids({ status: 'queued' })).toEqual([fresh.id]);
      expect(await ids({ status: 'delivered', destination: 'main' })).toEqual([old]);
      await search.remove(old);
      expect(await ids({})).toEqual([fresh.id]);
    } finally {
      await dropPrefix(own);
    }
  });
});
