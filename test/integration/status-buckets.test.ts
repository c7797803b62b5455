import IORedis from 'ioredis';
import type { Lead } from '../../src/lead/lead';
import { newLeadId } from '../../src/lead/lead-id';
import { contactHash } from '../../src/lead/contact-key';
import { contactLeadIds } from '../../src/queue/contact-index';
import { forgetLead } from '../../src/queue/forget-lead';
import { forgetPerson } from '../../src/queue/forget-person';
import { LeadLedger } from '../../src/queue/lead-ledger';
import { compactLeadId } from '../../src/queue/compact-id';
import { compactDelivered, decodeStatus, encodeStatus, LeadIdRequiredError, readCompacted, StatusPairUnknownError, statusPairsKey, statusBucketKey, statusPendingKey, statusWindow, statusWindows, statusWindowsKey } from '../../src/queue/status-buckets';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';

function lead(overrides: Partial<Lead> = {}, email = 'jane@example.com'): Lead {
  return {
    id: newLeadId(),
    source: { kind: 'form', name: 'contact' },
    destination: 'main',
    receivedAt: new Date().toISOString(),
    fields: { NAME: 'Jane', EMAIL: [{ VALUE: email, VALUE_TYPE: 'WORK' }], PHONE: [{ VALUE: '+49301234567', VALUE_TYPE: 'WORK' }] },
    utm: {},
    tracking: { clickIds: { gclid: 'EAIaIQobChMIx9mE3vXk' } },
    extras: [],
    trackingField: 'COMMENTS',
    ...overrides,
  };
}

describe('a delivered lead\'s status record compacted into shared buckets (issue 13: ≤ 300 bytes per delivered lead)', () => {
  const prefix = uniquePrefix('status-buckets');
  const redis = new IORedis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
  const retention = 3600;
  const ledger = new LeadLedger(redis, prefix, retention);
  const compact = () => compactDelivered(redis, prefix, retention, { graceMs: 0 });

  afterAll(async () => {
    await dropPrefix(prefix);
    redis.disconnect();
  });

  async function delivered(l: Lead = lead()): Promise<Lead> {
    await ledger.recordQueued(l);
    await ledger.markUnsure([l.id]);
    await ledger.recordDelivered(l.id, 4711, false);
    return l;
  }

  it('is looked up after compaction exactly as before it: GET /v1/leads/:id, the worker\'s delivery state, the conversion identity', async () => {
    const l = await delivered();
    const before = { record: await ledger.get(l.id), state: await ledger.deliveryState(l.id), identity: await ledger.conversionIdentity(l.id) };

    expect(await compact()).toEqual({ compacted: 1, kept: 0 });
    expect(await redis.exists(`${prefix}:lead:${l.id}`)).toBe(0);
    const [window] = await statusWindows(redis, prefix);
    const bucket = statusBucketKey(prefix, window!, l.id);
    expect(await redis.object('ENCODING', bucket)).toBe('listpack');
    // The field is the lead id in its compact form (19 characters, not 27).
    expect(await redis.hexists(bucket, l.id)).toBe(0);
    const value = (await redis.hget(bucket, compactLeadId(l.id)))!;
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(64);
    // Received as ms after the id's time (a digit or two, not eight), and the pair by its code.
    expect(value).toMatch(/^4-?[0-9a-z]{1,3}\x1f[0-9a-z]+\x1f1\x1f/);
    expect(await redis.hget(statusPairsKey(prefix), 'c:1')).toBe('main\x1fform:contact');
    expect(await redis.expiretime(statusPairsKey(prefix))).toBeGreaterThanOrEqual(await redis.expiretime(bucket));

    expect({ record: await ledger.get(l.id), state: await ledger.deliveryState(l.id), identity: await ledger.conversionIdentity(l.id) }).toEqual(before);
    expect(before.record).toMatchObject({ status: 'delivered', bitrixLeadId: 4711, attempts: 1 });
    expect(await redis.llen(statusPendingKey(prefix))).toBe(0);
  });

  it('waits out the grace after delivery, and leaves a lead that is not delivered whole', async () => {
    const l = await delivered();
    const retrying = lead();
    await ledger.recordQueued(retrying);
    await ledger.recordFailure(retrying.id, { outcome: 'retry', code: 'HTTP_500', message: 'down' }, { status: 'retrying', unsure: false });
    expect(await compactDelivered(redis, prefix, retention, { graceMs: 60_000 })).toEqual({ compacted: 0, kept: 0 });
    expect(await redis.hget(`${prefix}:lead:${l.id}`, 'status')).toBe('delivered');
    await compact();
    expect(await redis.exists(`${prefix}:lead:${l.id}`)).toBe(0);
    expect(await redis.hget(`${prefix}:lead:${retrying.id}`, 'status')).toBe('retrying');
  });

  it('a lead retried before delivery keeps its history and last error; a long click id goes on in a second piece', async () => {
    const gclid = `Cj0KCQiA${'x'.repeat(60)}é${'y'.repeat(20)}_BwE`;
    const l = lead({ tracking: { clickIds: { gclid } } });
    await ledger.recordQueued(l);
    await ledger.recordAssignee(l.id, 7);
    await ledger.recordFailure(l.id, { outcome: 'retry', code: 'HTTP_502', message: `bad gateway ${'ö'.repeat(40)}` }, { status: 'retrying', unsure: true });
    await ledger.recordDelivered(l.id, 99, true, { contactId: 5 });
    const before = await ledger.get(l.id);
    expect(await compact()).toEqual({ compacted: 1, kept: 0 });
    expect(await ledger.get(l.id)).toEqual(before);
    expect((await ledger.conversionIdentity(l.id))?.identity?.google?.value).toBe(gclid);
    expect(before).toMatchObject({ entity: 'deal', assignedTo: 7, crm: { dealId: 99, contactId: 5 }, history: [{ outcome: 'retry' }, { outcome: 'reconciled' }] });
  });

  it('a write after compaction (the late duplicate check) is laid over the compacted record', async () => {
    const l = await delivered();
    await compact();
    await ledger.recordDuplicatesRemoved(l.id, 4711, [4712]);
    await ledger.recordCrmOutcome(l.id, { dealId: 12 });
    const record = await ledger.get(l.id);
    expect(record).toMatchObject({ status: 'delivered', bitrixLeadId: 4711, source: 'form:contact', crm: { dealId: 12 } });
    expect(record?.history.map((a) => a.outcome)).toEqual(['delivered', 'duplicates_removed']);
    expect(await ledger.deliveryState(l.id)).toEqual({ deliveredAs: 4711, unsure: false });
  });

  it('buckets expire whole one window after the retention at most, and a window whose time is up is no longer read', async () => {
    const l = await delivered();
    await compact();
    const { start, expiresAt } = statusWindow(retention, Date.now());
    const bucket = statusBucketKey(prefix, start, l.id);
    expect(await redis.expiretime(bucket)).toBe(expiresAt);
    expect(expiresAt - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(retention);
    expect(expiresAt - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(retention + 3600);
    expect(await redis.zscore(statusWindowsKey(prefix), String(start))).toBe(String(expiresAt));
    await redis.zadd(statusWindowsKey(prefix), Math.floor(Date.now() / 1000) - 1, String(start));
    expect(await ledger.get(l.id)).toBeUndefined();
    await redis.zadd(statusWindowsKey(prefix), expiresAt, String(start));
  });

  it('forgetting the lead reaches its compacted record and its contact entries', async () => {
    const l = await delivered();
    await compact();
    const report = await forgetLead({ redis, prefix, destinations: [] }, l.id);
    expect(report).toMatchObject({ statusRecord: true, deliveredAs: 4711 });
    expect(await ledger.get(l.id)).toBeUndefined();
    expect(await contactLeadIds(redis, prefix, contactHash('+49301234567'))).not.toContain(l.id);
  });

  it('forgetting the person erases compacted leads and every index entry naming them, and a lead still pending compaction', async () => {
    const old = await delivered(lead({}, 'erase.me@example.com'));
    await compact();
    const recent = await delivered(lead({}, 'erase.me@example.com'));
    const report = await forgetPerson({ redis, prefix, destinations: [], retentionSeconds: retention }, 'Erase.Me@example.com');
    expect(report.leadIds.sort()).toEqual([old.id, recent.id].sort());
    expect(report.removed.statusRecords).toBe(2);
    const keys = await redis.keys(`${prefix}:*`);
    for (const key of keys) {
      const type = await redis.type(key);
      const dump = type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1)) : type === 'zset' ? JSON.stringify(await redis.zrange(key, 0, -1)) : '';
      expect(dump).not.toContain(old.id);
      expect(dump).not.toContain(recent.id);
    }
  });

  it('a record an earlier version compacted (the lead id itself as the field) is still read, and removed by forget', async () => {
    const l = await delivered();
    await compact();
    const [window] = await statusWindows(redis, prefix);
    const bucket = statusBucketKey(prefix, window!, l.id);
    const before = await ledger.get(l.id);
    // As the version before compact ids wrote it.
    const value = (await redis.hget(bucket, compactLeadId(l.id)))!;
    await redis.hdel(bucket, compactLeadId(l.id));
    await redis.hset(bucket, l.id, value);
    expect(await ledger.get(l.id)).toEqual(before);
    expect((await readCompacted(redis, prefix, [l.id])).get(l.id)).toMatchObject({ status: 'delivered', bitrixLeadId: '4711' });
    expect(await forgetLead({ redis, prefix, destinations: [] }, l.id)).toMatchObject({ statusRecord: true });
    expect(await redis.hexists(bucket, l.id)).toBe(0);
  });

  it('a queued record keeps its conversion identity in a few characters (`cv`); one an earlier version wrote as JSON still reads and compacts', async () => {
    const l = lead();
    await ledger.recordQueued(l);
    expect(await redis.hget(`${prefix}:lead:${l.id}`, 'cv')).toBe('gc0,EAIaIQobChMIx9mE3vXk');
    expect(await redis.hexists(`${prefix}:lead:${l.id}`, 'conversionIds')).toBe(0);
    const identity = await ledger.conversionIdentity(l.id);
    expect(identity?.identity).toEqual({ google: { key: 'gclid', value: 'EAIaIQobChMIx9mE3vXk', clickAt: l.receivedAt } });

    const older = lead();
    await ledger.recordQueued(older);
    await redis.hdel(`${prefix}:lead:${older.id}`, 'cv');
    await redis.hset(`${prefix}:lead:${older.id}`, 'conversionIds', JSON.stringify({ google: { key: 'gclid', value: 'EAIaIQobChMIx9mE3vXk', clickAt: older.receivedAt } }));
    expect((await ledger.conversionIdentity(older.id))?.identity).toEqual({ google: { key: 'gclid', value: 'EAIaIQobChMIx9mE3vXk', clickAt: older.receivedAt } });
    for (const id of [l.id, older.id]) {
      await ledger.markUnsure([id]);
      await ledger.recordDelivered(id, 4711, false);
    }
    const before = [await ledger.conversionIdentity(l.id), await ledger.conversionIdentity(older.id)];
    expect(await compact()).toEqual({ compacted: 2, kept: 0 });
    expect([await ledger.conversionIdentity(l.id), await ledger.conversionIdentity(older.id)]).toEqual(before);
  });

  it('encodes only what it can give back field for field', () => {
    const record = {
      status: 'delivered', source: 'meta:1234', destination: 'main', receivedAt: '2026-12-07T06:21:00.015Z', updatedAt: '2026-12-07T06:21:00.375Z',
      externalId: '9876543210', conversionIds: '{"metaLeadId":"9876543210"}', bitrixLeadId: '123456', attempt1: '{"at":"2026-12-07T06:21:00.375Z","outcome":"delivered"}',
      contacts: 'a'.repeat(64), 'contacts:1': 'b'.repeat(64), returning: 'comment', crmCommentId: '77',
    };
    const value = encodeStatus(record)!;
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(64);
    const { contacts: _c, 'contacts:1': _c1, ...rest } = record;
    expect(decodeStatus(value)).toEqual(rest);
    // Given a newLeadId made 3 ms before the lead was received: `2` and 3, the rest as before.
    const id = newLeadId(Date.parse(record.receivedAt) - 3);
    const relative = encodeStatus(record, id)!;
    expect(relative.split('\x1f')[0]).toBe('23');
    expect(decodeStatus(relative, id)).toEqual(rest);
    expect(() => decodeStatus(relative)).toThrow(LeadIdRequiredError);
    // The pair by its code (status:pairs), given the pairs to read it with.
    const coded = encodeStatus(record, id, '7')!;
    expect(coded.split('\x1f').slice(0, 3)).toEqual(['43', 'a0', '7']);
    expect(decodeStatus(coded, id, new Map([['7', { destination: 'main', source: 'meta:1234' }]]))).toEqual(rest);
    expect(() => decodeStatus(coded, id, new Map())).toThrow(StatusPairUnknownError);
    expect(decodeStatus(encodeStatus(record, undefined, '7')!, undefined, new Map([['7', { destination: 'main', source: 'meta:1234' }]]))).toEqual(rest);
    // A derived id carries no time: the time itself.
    expect(encodeStatus(record, `lg_${'ab'.repeat(16)}`)).toBe(value);
    expect(encodeStatus({ ...record, status: 'retrying' })).toBeUndefined();
    expect(encodeStatus({ ...record, receivedAt: 'yesterday' })).toBeUndefined();
    expect(encodeStatus({ ...record, source: 'form:a\x1fb' })).toBeUndefined();
  });
});
