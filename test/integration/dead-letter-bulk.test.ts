/**
 * Dead letters in the console at scale, against a real Redis and real BullMQ queues (no worker, so a
 * replayed lead stays visible as one waiting job): the dead-letter index filters every entry (no
 * window), and bulk replay/purge jobs work through what a filter matched in chunks, survive the
 * process that ran them dying mid-way, and neither lose nor double a replay.
 */
import IORedis from 'ioredis';
import type { Lead } from '../../src/lead/lead';
import { AuditLog } from '../../src/queue/audit-log';
import { DeadLetterBulkJobs } from '../../src/queue/dead-letter-bulk';
import { DeadLetterIndex, type DeadLetterFilter } from '../../src/queue/dead-letter-index';
import { DeadLetterQueue } from '../../src/queue/dead-letter-queue';
import { DeadLetterStore, type DeadLetter } from '../../src/queue/dead-letter-store';
import { DELIVER_LEAD_JOB, deliverLeadJob } from '../../src/queue/jobs';
import { LeadLedger } from '../../src/queue/lead-ledger';
import { LeadQueue } from '../../src/queue/lead-queue';
import type { WalkCursor } from '../../src/queue/sorted-set-walk';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const NOW = Date.now();
const redis = new IORedis(SHARED_REDIS_URL, { maxRetriesPerRequest: null });
const queues: LeadQueue[] = [];

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  redis.disconnect();
});

function world(prefix: string) {
  const store = new DeadLetterStore(redis, prefix);
  const queue = new LeadQueue(redis, { prefix, destinations: ['main', 'eu'], attempts: 3, deliveredRetentionSeconds: 60 });
  queues.push(queue);
  const ledger = new LeadLedger(redis, prefix, 3600);
  return { store, queue, ledger, dlq: new DeadLetterQueue(store, queue, ledger), index: new DeadLetterIndex(redis, prefix), audit: new AuditLog(redis, prefix) };
}

const CODES = ['', 'QUERY_LIMIT_EXCEEDED', 'ERROR_CORE', 'INVALID_CREDENTIALS'];
const SOURCES: Array<[Lead['source']['kind'], string]> = [['form', 'contact'], ['partner', 'acme'], ['meta', '123']];

function deadLetter(i: number): DeadLetter {
  const [kind, name] = SOURCES[i % SOURCES.length]!;
  return {
    lead: { id: `lg_dead${String(i).padStart(20, '0')}`, source: { kind, name }, destination: i % 4 === 0 ? 'eu' : 'main', receivedAt: new Date(NOW - i * 3_600_000).toISOString(), fields: { EMAIL: [{ VALUE: `p${i}@example.com`, VALUE_TYPE: 'WORK' }] }, utm: {}, tracking: { clickIds: {} }, extras: [], trackingField: 'COMMENTS' },
    reason: 'seeded',
    code: CODES[i % CODES.length]!,
    // Every tenth shares its time of death with the one before.
    deadAt: new Date(NOW - (i - (i % 10 === 9 ? 1 : 0)) * 3_600_000).toISOString(),
    attempts: [],
  };
}

/** Dead letters as the worker leaves them: the entry, and the failed job behind it. */
async function seed(w: ReturnType<typeof world>, count: number): Promise<DeadLetter[]> {
  const entries = Array.from({ length: count }, (_, i) => deadLetter(i));
  for (const entry of entries) {
    await w.ledger.recordQueued(entry.lead);
    await w.ledger.recordFailure(entry.lead.id, { outcome: 'dead', code: entry.code, message: 'seeded' }, { status: 'dead', unsure: false });
    await w.store.add(entry);
  }
  return entries;
}

function expected(entries: DeadLetter[], filter: DeadLetterFilter): string[] {
  return entries
    .filter((e) => (!filter.destination || e.lead.destination === filter.destination)
      && (!filter.code || (e.code || '(no code)') === filter.code)
      && (!filter.source || `${e.lead.source.kind}:${e.lead.source.name}` === filter.source)
      && (filter.from === undefined || Date.parse(e.deadAt) >= filter.from)
      && (filter.to === undefined || Date.parse(e.deadAt) < filter.to))
    .sort((a, b) => Date.parse(b.deadAt) - Date.parse(a.deadAt) || (a.lead.id < b.lead.id ? 1 : -1))
    .map((e) => e.lead.id);
}

async function waitingJobs(w: ReturnType<typeof world>): Promise<string[]> {
  const ids: string[] = [];
  for (const destination of ['main', 'eu']) ids.push(...(await w.queue.queueFor(destination).getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.id!));
  return ids.sort();
}

describe('the dead-letter index', () => {
  const prefix = uniquePrefix('dlq-index');
  const w = world(prefix);
  let entries: DeadLetter[];
  beforeAll(async () => {
    entries = await seed(w, 700);
  });
  afterAll(() => dropPrefix(prefix));

  it.each<[string, DeadLetterFilter]>([
    ['nothing (every entry, beyond the old 500 window)', {}],
    ['destination', { destination: 'eu' }],
    ['error code, including failures without one', { code: '(no code)' }],
    ['source and code', { source: 'partner:acme', code: 'ERROR_CORE' }],
    ['destination, source and date', { destination: 'main', source: 'form:contact', from: NOW - 20 * DAY, to: NOW - 5 * DAY }],
  ])('filters by %s and pages through all of it', async (_name, filter) => {
    const ids: string[] = [];
    let cursor: WalkCursor | undefined;
    do {
      const page = await w.index.search(filter, { ...(cursor ? { cursor } : {}), limit: 50 });
      ids.push(...page.entries.map((e) => e.id));
      cursor = page.next;
    } while (cursor);
    expect(ids).toEqual(expected(entries, filter));
    expect(await w.index.allMatching(filter)).toEqual(expected(entries, filter));
  });

  it('drops a replayed or purged entry from every filter', async () => {
    const [a, b] = [entries[0]!, entries[1]!];
    await w.dlq.purgeOne(a.lead.id);
    await w.dlq.replay(b.lead.id);
    for (const filter of [{}, { destination: a.lead.destination }, { code: '(no code)' }, { source: 'partner:acme' }]) {
      const ids = await w.index.allMatching(filter);
      expect(ids).not.toContain(a.lead.id);
      expect(ids).not.toContain(b.lead.id);
    }
  });

  it('files dead letters written before the index existed, once', async () => {
    const own = uniquePrefix('dlq-backfill');
    try {
      const entry = deadLetter(3);
      // As an older leadgate wrote them: the entry and the time-ordered list, no index.
      await redis.multi().set(`${own}:dlq:${entry.lead.id}`, JSON.stringify(entry)).zadd(`${own}:dlq`, Date.parse(entry.deadAt), entry.lead.id).exec();
      const index = new DeadLetterIndex(redis, own);
      expect(await index.allMatching({ code: 'INVALID_CREDENTIALS' })).toEqual([]);
      await index.ensureIndexed();
      expect(await index.allMatching({ code: 'INVALID_CREDENTIALS', source: 'form:contact' })).toEqual([entry.lead.id]);
      expect(await redis.exists(`${own}:dlq-by:since`)).toBe(1);
    } finally {
      await dropPrefix(own);
    }
  });
});

describe('bulk replay and purge', () => {
  it('replays everything a filter matched, in chunks, each lead queued once, and leaves the rest', async () => {
    const prefix = uniquePrefix('dlq-bulk');
    const w = world(prefix);
    try {
      const entries = await seed(w, 120);
      const filter: DeadLetterFilter = { destination: 'main', code: 'QUERY_LIMIT_EXCEEDED' };
      const ids = await w.index.allMatching(filter);
      const bulk = new DeadLetterBulkJobs(redis, prefix, w.dlq, w.audit, { chunk: 7 });
      const job = await bulk.create('replay', ids, { actor: 'admin', description: 'filter destination=main code=QUERY_LIMIT_EXCEEDED' });
      await bulk.run(job.id);

      expect(await bulk.get(job.id)).toMatchObject({ status: 'done', total: ids.length, done: ids.length, skipped: 0, failed: 0 });
      expect(await waitingJobs(w)).toEqual([...ids].sort());
      for (const id of ids) expect(await redis.hget(`${prefix}:lead:${id}`, 'status')).toBe('queued');
      expect(await w.store.count()).toBe(entries.length - ids.length);
      expect(await w.index.allMatching(filter)).toEqual([]);
      expect((await w.audit.recent(1))[0]).toMatchObject({ action: 'bulk-replay-finished', outcome: 'ok' });
    } finally {
      await dropPrefix(prefix);
    }
  });

  it('purges a selection: the entries and their failed jobs are gone, a vanished one counts as skipped', async () => {
    const prefix = uniquePrefix('dlq-bulk-purge');
    const w = world(prefix);
    try {
      const entries = await seed(w, 10);
      const picked = [entries[2]!.lead.id, entries[5]!.lead.id, 'lg_neverdeadlettered00000'];
      const bulk = new DeadLetterBulkJobs(redis, prefix, w.dlq, w.audit);
      const job = await bulk.create('purge', picked, { actor: 'admin', description: '3 selected' });
      await bulk.run(job.id);
      expect(await bulk.get(job.id)).toMatchObject({ status: 'done', total: 3, done: 2, skipped: 1, failed: 0 });
      expect(await w.store.get(entries[2]!.lead.id)).toBeUndefined();
      expect(await w.store.count()).toBe(8);
    } finally {
      await dropPrefix(prefix);
    }
  });

  it('is taken up by another process when the one running it dies mid-chunk, and no lead is lost or queued twice', async () => {
    const prefix = uniquePrefix('dlq-bulk-crash');
    const w = world(prefix);
    try {
      await seed(w, 60);
      const ids = await w.index.allMatching({});
      let calls = 0;
      // The first process replays 17 leads, then freezes inside the 18th replay after the job was
      // queued but before the dead letter was removed, and never records its progress again.
      const dying: Pick<DeadLetterQueue, 'replay' | 'purgeOne'> = {
        purgeOne: (id) => w.dlq.purgeOne(id),
        async replay(id) {
          calls += 1;
          if (calls < 18) return w.dlq.replay(id);
          const entry = (await w.store.get(id))!;
          const queue = w.queue.queueFor(entry.lead.destination);
          await (await queue.getJob(id))?.remove();
          await queue.add(DELIVER_LEAD_JOB, deliverLeadJob(entry.lead, { reconcileFirst: true }), w.queue.jobOptions(entry.lead));
          return new Promise<boolean>(() => undefined);
        },
      };
      const first = new DeadLetterBulkJobs(redis, prefix, dying, w.audit, { chunk: 10, leaseMs: 3000 });
      const job = await first.create('replay', ids, { actor: 'admin', description: 'every dead letter' });
      void first.run(job.id);
      await waitFor(async () => calls >= 18, 'the first process froze');
      expect(await bulk(job.id)).toMatchObject({ status: 'running', done: 10 });

      // Another API process: while the lease is held it leaves the job alone, then takes it up.
      const second = new DeadLetterBulkJobs(redis, prefix, w.dlq, w.audit, { chunk: 10 });
      expect(await second.resumeAbandoned()).toEqual([]);
      await waitFor(async () => (await redis.exists(`${prefix}:console:bulk:${job.id}:lease`)) === 0, 'the lease lapsed');
      expect(await second.resumeAbandoned()).toEqual([job.id]);
      await waitFor(async () => (await bulk(job.id))?.status === 'done', 'the job finished');

      const finished = (await bulk(job.id))!;
      expect(finished.failed).toBe(0);
      expect(finished.done + finished.skipped).toBe(ids.length);
      expect(await waitingJobs(w)).toEqual([...ids].sort());
      expect(await w.store.count()).toBe(0);
    } finally {
      await dropPrefix(prefix);
    }

    function bulk(id: string) {
      return new DeadLetterBulkJobs(redis, prefix, w.dlq, w.audit).get(id);
    }
  });
});
