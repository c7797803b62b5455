import { Queue } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import { deriveLeadId } from '../../src/lead/lead-id';
import { deliveryQueueName, META_LEADS_QUEUE, readDeliverLeadJob, type DeliverLeadJob } from '../../src/queue/jobs';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { buildWebhookBody, sendWebhook } from '@leadgate/simulators';
import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { postJson, startStack, type Stack } from '../helpers/stack';

/**
 * Redis stalled, not down: the request gives up (503), but what it sent is written when Redis comes
 * back. A submission with an identity (Idempotency-Key, lead_id, external_ref, leadgen_id) has a lead
 * id derived from it, so the client's retry after the 503 is the same job, one lead, and nothing the
 * first request left behind blocks the retry.
 */
const APP_SECRET = 'identity-app-secret';
const PAGE_ID = '1234567890123456789';
const GOOGLE_KEY = 'identity-google-key-01';
const partner = generatePartnerKey();

let redis: PrivateRedis;
let stack: Stack;
let admin: Redis;

beforeAll(async () => {
  redis = await startPrivateRedis();
  admin = new IORedis(redis.url);
  // Only the API: jobs stay in their queues to be counted.
  stack = await startStack('intake-identity', {
    redisUrl: redis.url,
    role: 'api',
    overrides: {
      // The 503 path: with the spool on, these submissions would be spooled (test/integration/intake-spool.test.ts).
      intake: { spool: { enabled: false } },
      sources: {
        google: { keys: [GOOGLE_KEY] },
        meta: { appSecret: APP_SECRET, verifyToken: 'verify-identity', graphUrl: 'http://127.0.0.1:9', pages: { [PAGE_ID]: { accessToken: 'EAAB-page' } } },
        partners: { acme: { keyHashes: [partner.hash] } },
      },
    },
  });
});

afterAll(async () => {
  await stack.stop();
  admin.disconnect();
  await redis.destroy();
});

/**
 * Writes wait in Redis until the pause ends. The API's producer calls give up after 3 s each, and a
 * request makes two before its answer (rate limit, then the lead), so 10 s covers the 503 with room
 * to spare; the pause is lifted as soon as the 503 is in.
 */
async function withRedisStalled<T>(request: () => Promise<T>): Promise<T> {
  await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
  try {
    return await request();
  } finally {
    await admin.call('CLIENT', 'UNPAUSE');
  }
}

async function jobsIn(queueName: string): Promise<Array<{ id?: string; data: unknown }>> {
  const queue = new Queue(queueName, { connection: { url: redis.url }, prefix: stack.prefix });
  try {
    return await queue.getJobs(['wait', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
  } finally {
    await queue.close();
  }
}

async function deliveryJobsOf(predicate: (lead: Record<string, unknown>) => boolean): Promise<Array<{ id?: string; leadId: string }>> {
  const jobs = await jobsIn(deliveryQueueName('main'));
  return jobs
    .map((job) => ({ id: job.id, lead: readDeliverLeadJob(job.data as DeliverLeadJob, job.id).lead as unknown as Record<string, unknown> }))
    .filter(({ lead }) => predicate(lead))
    .map(({ id, lead }) => ({ id, leadId: String(lead.id) }));
}

const externalId = (lead: Record<string, unknown>): unknown => (lead.source as { externalId?: string }).externalId;
const email = (lead: Record<string, unknown>): string => JSON.stringify((lead.fields as { EMAIL?: unknown }).EMAIL ?? '');

describe('a submission with an identity, sent while Redis is stalled', () => {
  it('form + Idempotency-Key: 503, then the retry is 202 with one job under the answered id', async () => {
    const url = `${stack.api.url}/v1/forms/contact`;
    const body = { name: 'Stalled Form', email: 'stalled-form@example.com' };
    const headers = { 'idempotency-key': 'landing-stall-1' };
    const refused = await withRedisStalled(() => postJson(url, body, headers));
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'queue_unavailable' });

    const retried = await postJson(url, body, headers);
    expect(retried.status).toBe(202);
    const { id } = (await retried.json()) as { id: string };
    expect((await postJson(url, body, headers)).status).toBe(202);
    expect(await deliveryJobsOf((lead) => email(lead).includes('stalled-form@example.com'))).toEqual([{ id, leadId: id }]);
  }, 40_000);

  it('form + Idempotency-Key: a job stored without its key record (the first answer lost) is not stored again', async () => {
    const url = `${stack.api.url}/v1/forms/contact`;
    const body = { email: 'lost-answer@example.com' };
    const first = await postJson(url, body, { 'idempotency-key': 'landing-lost-1' });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    // As if only the job had reached Redis: nothing remembers the key.
    for (const key of await admin.keys(`${stack.prefix}:idem:*`)) await admin.del(key);

    const retried = await postJson(url, body, { 'idempotency-key': 'landing-lost-1' });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toEqual({ id, status: 'queued' });
    expect(await deliveryJobsOf((lead) => email(lead).includes('lost-answer@example.com'))).toEqual([{ id, leadId: id }]);
  });

  it('Google lead_id: 503 (Google retries), then the retry is 200 with one job', async () => {
    const leadId = 'TeSter-stall-0001';
    const body = JSON.stringify({ lead_id: leadId, google_key: GOOGLE_KEY, user_column_data: [{ column_id: 'EMAIL', string_value: 'stalled-google@example.com' }] });
    const post = (): Promise<Response> => fetch(`${stack.api.url}/v1/webhooks/google`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const refused = await withRedisStalled(post);
    expect(refused.status).toBe(503);

    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const expected = deriveLeadId({ kind: 'google', scope: '', id: leadId });
    expect(await deliveryJobsOf((lead) => externalId(lead) === leadId)).toEqual([{ id: expected, leadId: expected }]);
  }, 40_000);

  it('partner external_ref: 503, then the retry is 202 with one job under the answered id', async () => {
    const url = `${stack.api.url}/v1/partners/leads`;
    const body = { external_ref: 'stall-ref-1', contact: { full_name: 'Stalled Partner', email: 'stalled-partner@example.com' } };
    const headers = { authorization: `Bearer ${partner.key}` };
    const refused = await withRedisStalled(() => postJson(url, body, headers));
    expect(refused.status).toBe(503);

    const retried = await postJson(url, body, headers);
    expect(retried.status).toBe(202);
    const { id } = (await retried.json()) as { id: string };
    const again = await postJson(url, body, headers);
    expect(await again.json()).toEqual({ id, status: 'queued', external_ref: 'stall-ref-1' });
    expect(await deliveryJobsOf((lead) => externalId(lead) === 'stall-ref-1')).toEqual([{ id, leadId: id }]);
  }, 40_000);

  it('partner batch + Idempotency-Key: 503, then the retry is 202 with one job per lead', async () => {
    const url = `${stack.api.url}/v1/partners/leads/batch`;
    const body = { leads: [{ contact: { email: 'stalled-batch-1@example.com' } }, { contact: { email: 'stalled-batch-2@example.com' } }] };
    const headers = { authorization: `Bearer ${partner.key}`, 'idempotency-key': 'batch-stall-1' };
    const refused = await withRedisStalled(() => postJson(url, body, headers));
    expect(refused.status).toBe(503);

    const retried = await postJson(url, body, headers);
    expect(retried.status).toBe(202);
    const ids = ((await retried.json()) as { results: Array<{ id: string }> }).results.map((r) => r.id);
    expect((await postJson(url, body, headers)).status).toBe(202);
    const jobs = await deliveryJobsOf((lead) => email(lead).includes('stalled-batch-'));
    expect(jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
  }, 40_000);

  it('Meta leadgen_id: 503 (Meta retries), then the retry is 200 with one fetch job carrying the derived lead id', async () => {
    const leadgenId = '7777777777777777001';
    const body = buildWebhookBody([{ leadgenId, pageId: PAGE_ID }]);
    const post = (): Promise<Response> => sendWebhook(`${stack.api.url}/v1/webhooks/meta`, body, APP_SECRET);
    const refused = await withRedisStalled(post);
    expect(refused.status).toBe(503);

    const retried = await post();
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ received: 1, queued: 1, duplicates: 0 });
    expect((await post()).status).toBe(200);
    const jobs = (await jobsIn(META_LEADS_QUEUE)).filter((job) => (job.data as { notification: { leadgenId: string } }).notification.leadgenId === leadgenId);
    expect(jobs.map((job) => (job.data as { leadId: string }).leadId)).toEqual([deriveLeadId({ kind: 'meta', scope: '', id: leadgenId })]);
  }, 40_000);
});

describe('an identity stands for the content first sent with it', () => {
  const headers = { authorization: `Bearer ${partner.key}` };

  it('partner: the same external_ref with other content is 409 external_ref_reused, and nothing more is queued', async () => {
    const url = `${stack.api.url}/v1/partners/leads`;
    expect((await postJson(url, { external_ref: 'ref-changed-1', contact: { email: 'first-ref@example.com' } }, headers)).status).toBe(202);
    const changed = await postJson(url, { external_ref: 'ref-changed-1', contact: { email: 'second-ref@example.com' } }, headers);
    expect(changed.status).toBe(409);
    expect(await changed.json()).toMatchObject({ error: 'external_ref_reused' });
    expect(await deliveryJobsOf((lead) => externalId(lead) === 'ref-changed-1')).toHaveLength(1);
  });

  it('partner batch: an item whose external_ref came with other content fails on its own (207)', async () => {
    const url = `${stack.api.url}/v1/partners/leads/batch`;
    await postJson(`${stack.api.url}/v1/partners/leads`, { external_ref: 'ref-batch-1', contact: { email: 'ref-batch@example.com' } }, headers);
    const response = await postJson(url, { leads: [{ external_ref: 'ref-batch-1', contact: { email: 'other@example.com' } }, { contact: { email: 'fresh-batch@example.com' } }] }, headers);
    expect(response.status).toBe(207);
    const { results } = (await response.json()) as { results: Array<Record<string, unknown>> };
    expect(results[0]).toMatchObject({ index: 0, error: 'external_ref_reused', details: [expect.objectContaining({ field: '/external_ref' })] });
    expect(results[1]).toMatchObject({ index: 1, status: 'queued' });
    expect(await deliveryJobsOf((lead) => email(lead).includes('other@example.com'))).toHaveLength(0);
  });

  it('form without an Idempotency-Key: every request is a new lead (a resend is two)', async () => {
    const url = `${stack.api.url}/v1/forms/contact`;
    const a = (await (await postJson(url, { email: 'no-key@example.com' })).json()) as { id: string };
    const b = (await (await postJson(url, { email: 'no-key@example.com' })).json()) as { id: string };
    expect(a.id).not.toBe(b.id);
    expect(await deliveryJobsOf((lead) => email(lead).includes('no-key@example.com'))).toHaveLength(2);
  });
});
