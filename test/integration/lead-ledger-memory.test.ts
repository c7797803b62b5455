import IORedis from 'ioredis';
import type { Lead } from '../../src/lead/lead';
import { newLeadId } from '../../src/lead/lead-id';
import { contactHash } from '../../src/lead/contact-key';
import { contactBucketField, contactBucketKey, earlierContactBucketField, hashContactBucketKey, contactIndexKey, contactIndexWindow, contactLeadIds, contactWindows, contactWindowsKey, dropContactIndex, legacyContactIndexKey, unindexContact, unindexLeadEverywhere } from '../../src/queue/contact-index';
import { forgetLead } from '../../src/queue/forget-lead';
import { LeadLedger } from '../../src/queue/lead-ledger';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';

/** A Google Ads lead: its click id makes the status record carry a conversion identity longer than 64 bytes. */
function lead(gclid: string): Lead {
  return {
    id: newLeadId(),
    source: { kind: 'form', name: 'contact' },
    destination: 'main',
    receivedAt: new Date().toISOString(),
    fields: { NAME: 'Jane', EMAIL: [{ VALUE: 'jane@example.com', VALUE_TYPE: 'WORK' }], PHONE: [{ VALUE: '+49301234567', VALUE_TYPE: 'WORK' }] },
    utm: {},
    tracking: { clickIds: { gclid } },
    extras: [],
    trackingField: 'COMMENTS',
  };
}

// A real gclid is ~90 characters; the accents make sure a piece is cut by bytes, between characters.
const GCLID = `Cj0KCQiA${'x'.repeat(60)}é${'y'.repeat(40)}ü_BwE`;

describe('LeadLedger keeps a delivered lead small (issue 13: Redis memory per lead)', () => {
  const prefix = uniquePrefix('ledger-memory');
  const redis = new IORedis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
  const ledger = new LeadLedger(redis, prefix, 3600);

  afterAll(async () => {
    await dropPrefix(prefix);
    redis.disconnect();
  });

  it('a lead delivered at its first attempt is one compact hash (listpack), with no attempt list, and reads as before', async () => {
    const queued = lead(GCLID);
    await ledger.recordQueued(queued);
    await ledger.markUnsure([queued.id]);
    await ledger.recordDelivered(queued.id, 42, false);

    const key = `${prefix}:lead:${queued.id}`;
    expect(await redis.object('ENCODING', key)).toBe('listpack');
    expect(await redis.exists(`${key}:attempts`)).toBe(0);
    // Every value fits the compact encoding; the long identity is in pieces.
    for (const value of Object.values(await redis.hgetall(key))) expect(Buffer.byteLength(value)).toBeLessThanOrEqual(64);

    const record = await ledger.get(queued.id);
    expect(record).toMatchObject({ status: 'delivered', bitrixLeadId: 42, attempts: 1, history: [{ outcome: 'delivered' }] });
    expect(await ledger.deliveryState(queued.id)).toEqual({ deliveredAs: 42, unsure: false });
    expect((await ledger.conversionIdentity(queued.id))?.identity).toMatchObject({ google: { key: 'gclid', value: GCLID } });
  });

  it('later attempts go to the history list after the first, in order, and a long error reads whole', async () => {
    const retried = lead('short');
    const error = `Bitrix24 answered 500: ${'ö'.repeat(80)} (upstream)`;
    await ledger.recordQueued(retried);
    await ledger.recordFailure(retried.id, { outcome: 'retry', code: 'HTTP_500', message: error }, { status: 'retrying', unsure: true });
    await ledger.recordFailure(retried.id, { outcome: 'retry', code: 'HTTP_502', message: 'bad gateway' }, { status: 'retrying', unsure: false });
    await ledger.recordDelivered(retried.id, 43, true);

    const record = await ledger.get(retried.id);
    expect(record?.history.map((a) => a.outcome)).toEqual(['retry', 'retry', 'reconciled']);
    expect(record?.history[0]?.message).toBe(error);
    expect(record?.lastError).toBe('bad gateway');
    expect(record?.attempts).toBe(3);
    expect(await ledger.deliveryState(retried.id)).toEqual({ deliveredAs: 43, unsure: false });
  });

  it('a shorter error replaces every piece of a longer one', async () => {
    const failing = lead('short');
    await ledger.recordQueued(failing);
    await ledger.recordFailure(failing.id, { outcome: 'retry', message: 'x'.repeat(300) }, { status: 'retrying', unsure: false });
    await ledger.recordFailure(failing.id, { outcome: 'dead', message: 'gone' }, { status: 'dead', unsure: false });
    expect((await ledger.get(failing.id))?.lastError).toBe('gone');
  });

  it('the contact index is shared lists per time window, and keys earlier versions wrote are still read and removed', async () => {
    const indexed = lead('short');
    await ledger.recordQueued(indexed);
    const hash = contactHash('jane@example.com');
    const [window] = await contactWindows(redis, prefix);
    const bucket = contactBucketKey(prefix, window!, hash);
    expect(await redis.type(bucket)).toBe('list');
    // Redis 7.0 names a small list's encoding quicklist, 7.2 on listpack: compact either way.
    expect(['quicklist', 'listpack']).toContain(await redis.object('ENCODING', bucket));
    expect(await redis.lrange(bucket, 0, -1)).toContain(contactBucketField(hash, indexed.id));
    // The bucket expires whole, one window after the retention at most; the windows set lists it until then.
    const { expiresAt } = contactIndexWindow(3600, Date.now());
    expect(await redis.expiretime(bucket)).toBe(expiresAt);
    expect(await redis.zscore(contactWindowsKey(prefix), window!)).toBe(String(expiresAt));

    const older = newLeadId();
    const oldest = newLeadId();
    await redis.hset(contactIndexKey(prefix, hash), older, '');
    await redis.sadd(legacyContactIndexKey(prefix, hash), oldest);
    expect(await contactLeadIds(redis, prefix, hash)).toEqual(expect.arrayContaining([indexed.id, older, oldest]));
    await unindexContact(redis, prefix, hash, older);
    await unindexContact(redis, prefix, hash, oldest);
    expect(await redis.exists(contactIndexKey(prefix, hash), legacyContactIndexKey(prefix, hash))).toBe(0);

    await forgetLead({ redis, prefix, destinations: [] }, indexed.id);
    expect(await contactLeadIds(redis, prefix, hash)).not.toContain(indexed.id);
    expect(await contactLeadIds(redis, prefix, contactHash('+49301234567'))).not.toContain(indexed.id);
  });

  it('an entry is the contact in 11 characters and the lead id compact; the hash buckets earlier versions wrote (either field shape) are still read and removed', async () => {
    const hash = contactHash('jane@example.com');
    const fresh = lead('short');
    await ledger.recordQueued(fresh);
    const [window] = await contactWindows(redis, prefix);
    const bucket = contactBucketKey(prefix, window!, hash);
    const hashBucket = hashContactBucketKey(prefix, window!, hash);
    expect(contactBucketField(hash, fresh.id)).toHaveLength(11 + 19);
    expect(await redis.lrange(bucket, 0, -1)).toContain(contactBucketField(hash, fresh.id));

    // The window a rolling upgrade happens in has both: earlier processes filed into the hash bucket.
    const earlier = newLeadId();
    const earliest = newLeadId();
    await redis.hset(hashBucket, contactBucketField(hash, earlier), '', earlierContactBucketField(hash, earliest), '');
    expect(await contactLeadIds(redis, prefix, hash)).toEqual(expect.arrayContaining([fresh.id, earlier, earliest]));
    // A status record's shortened reference (18 hex) finds every shape too.
    expect(await contactLeadIds(redis, prefix, hash.slice(0, 18))).toEqual(expect.arrayContaining([fresh.id, earlier, earliest]));
    await unindexContact(redis, prefix, hash, earliest);
    expect(await redis.hexists(hashBucket, earlierContactBucketField(hash, earliest))).toBe(0);
    expect(await unindexLeadEverywhere(redis, prefix, earlier)).toBe(1);
    expect(await redis.exists(hashBucket)).toBe(0);
    expect(await unindexLeadEverywhere(redis, prefix, fresh.id)).toBe(2);
    expect(await contactLeadIds(redis, prefix, hash)).not.toContain(fresh.id);
  });

  it('a lead queued again under its id is listed twice, read once and removed whole', async () => {
    const hash = contactHash('jane@example.com');
    const twice = lead('short');
    await ledger.recordQueued(twice);
    await ledger.recordQueued(twice);
    const [window] = await contactWindows(redis, prefix);
    const entries = await redis.lrange(contactBucketKey(prefix, window!, hash), 0, -1);
    expect(entries.filter((e) => e === contactBucketField(hash, twice.id))).toHaveLength(2);
    expect((await contactLeadIds(redis, prefix, hash)).filter((id) => id === twice.id)).toHaveLength(1);
    expect(await unindexContact(redis, prefix, hash, twice.id)).toBe(false);
    expect(await contactLeadIds(redis, prefix, hash)).not.toContain(twice.id);
    await ledger.recordQueued(twice);
    await ledger.recordQueued(twice);
    expect(await dropContactIndex(redis, prefix, hash)).toBeGreaterThanOrEqual(2);
    expect(await contactLeadIds(redis, prefix, hash)).toEqual([]);
  });

  it('contacts sharing a bucket stay apart, and a window whose time is up is no longer read', async () => {
    const a = lead('short');
    const b = { ...lead('short'), fields: { EMAIL: [{ VALUE: 'bob@example.com', VALUE_TYPE: 'WORK' }] } };
    await ledger.recordQueued(a);
    await ledger.recordQueued(b);
    const jane = contactHash('jane@example.com');
    const bob = contactHash('bob@example.com');
    // Bob filed in Jane's bucket too, as a contact whose hash starts alike would be.
    const [window] = await contactWindows(redis, prefix);
    await redis.rpush(contactBucketKey(prefix, window!, jane), contactBucketField(bob, b.id));
    expect(await contactLeadIds(redis, prefix, jane)).not.toContain(b.id);
    expect(await contactLeadIds(redis, prefix, bob)).toEqual([b.id]);

    expect(await dropContactIndex(redis, prefix, bob)).toBe(1);
    expect(await contactLeadIds(redis, prefix, bob)).toEqual([]);
    expect(await contactLeadIds(redis, prefix, jane)).toContain(a.id);

    await redis.zadd(contactWindowsKey(prefix), Math.floor(Date.now() / 1000) - 1, window!);
    expect(await contactLeadIds(redis, prefix, jane)).toEqual([]);
  });

  it('a lead whose contacts are unknown leaves every bucket', async () => {
    // A ledger of its own: the test before expired the window this one would remember filing.
    const fresh = new LeadLedger(redis, prefix, 3600);
    const anonymous = lead('short');
    await fresh.recordQueued(anonymous);
    expect(await unindexLeadEverywhere(redis, prefix, anonymous.id)).toBe(2);
    expect(await contactLeadIds(redis, prefix, contactHash('+49301234567'))).not.toContain(anonymous.id);
  });

  it('files the contact window and the search dimensions once per upkeep period, not with every commit; a ledger starting anew files them again', async () => {
    const own = uniquePrefix('ledger-upkeep');
    const first = new LeadLedger(redis, own, 3600);
    await first.recordQueued(lead('short'));
    const windows = contactWindowsKey(own);
    const dims = `${own}:search:dims`;
    expect(await redis.exists(windows, dims)).toBe(2);
    // As if Redis had lost them: within UPKEEP_MS this process does not look again...
    await redis.del(windows, dims);
    await first.recordQueued(lead('short'));
    expect(await redis.exists(windows, dims)).toBe(0);
    // ...except for a dimension it has not filed (a new source), filed with the commit's others.
    await first.recordQueued({ ...lead('short'), source: { kind: 'partner', name: 'acme' } });
    expect(await redis.smembers(dims)).toEqual(expect.arrayContaining(['source:partner:acme']));
    expect(await redis.exists(windows)).toBe(0);
    // A process starting (or the next period) files the window again, and the entries written meanwhile are found.
    const later = lead('short');
    await new LeadLedger(redis, own, 3600).recordQueued(later);
    expect(await redis.exists(windows)).toBe(1);
    expect(await contactLeadIds(redis, own, contactHash('jane@example.com'))).toHaveLength(4);
    await dropPrefix(own);
  });
});
