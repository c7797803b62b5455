import IORedis from 'ioredis';
import type { Lead } from '../../src/lead/lead';
import { newLeadId } from '../../src/lead/lead-id';
import { contactHash } from '../../src/lead/contact-key';
import { contactIndexKey, contactLeadIds, legacyContactIndexKey, unindexContact } from '../../src/queue/contact-index';
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

  it('the contact index is one small hash per contact, and sets an earlier version wrote are still read and removed', async () => {
    const indexed = lead('short');
    await ledger.recordQueued(indexed);
    const hash = contactHash('jane@example.com');
    expect(await redis.type(contactIndexKey(prefix, hash))).toBe('hash');
    expect(await redis.object('ENCODING', contactIndexKey(prefix, hash))).toBe('listpack');

    const older = newLeadId();
    await redis.sadd(legacyContactIndexKey(prefix, hash), older);
    expect(await contactLeadIds(redis, prefix, hash)).toEqual(expect.arrayContaining([indexed.id, older]));
    await unindexContact(redis, prefix, hash, older);
    expect(await redis.exists(legacyContactIndexKey(prefix, hash))).toBe(0);

    await forgetLead({ redis, prefix, destinations: [] }, indexed.id);
    expect(await contactLeadIds(redis, prefix, hash)).not.toContain(indexed.id);
  });
});
