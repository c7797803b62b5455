import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { deriveLeadId } from '../../src/lead/lead-id';
import { deliveryQueueName, readDeliverLeadJob, type DeliverLeadJob } from '../../src/queue/jobs';
import { signTikTokBody } from '../../src/sources/tiktok/verify-tiktok-signature';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const SECRET = 'tiktok-app-secret-0001';
const fixture = readFileSync(join(__dirname, '../fixtures/tiktok/lead-delivery.json'), 'utf8');
let stack: Stack;
let hook: string;

beforeAll(async () => {
  stack = await startStack('tiktok', { overrides: { sources: { partners: {}, tiktok: { secret: SECRET, fieldMap: { 'What would you like to learn?': 'UF_CRM_TOPIC' } } } } as never });
  hook = `${stack.api.url}/v1/webhooks/tiktok`;
});
afterAll(async () => {
  await stack.stop();
});

const post = (body: string, signature: string | null = signTikTokBody(body, SECRET)) =>
  fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'TikTok-Signature': signature }) }, body });
const leadsWith = (leadId: string) => stack.sim.leads().map((l) => l.fields).filter((f) => String(f.COMMENTS ?? '').includes(`tiktok_lead_id: ${leadId}`));

async function queued(): Promise<number> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('TikTok lead ads webhook', () => {
  it('delivers a signed batch, every 19-digit id kept to the digit', async () => {
    const response = await post(fixture);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 2, queued: 2, duplicates: 0 });
    const [first] = await waitFor(() => (leadsWith('7301234567890123456').length > 0 ? leadsWith('7301234567890123456') : undefined), 'the first lead');
    expect(first).toMatchObject({
      NAME: 'Li',
      LAST_NAME: 'Wei',
      EMAIL: [{ VALUE: 'li.wei@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+6561234567', VALUE_TYPE: 'WORK' }],
      UF_CRM_TOPIC: 'Pricing',
      UTM_SOURCE: 'tiktok',
      UTM_MEDIUM: 'paid_social',
      UTM_CAMPAIGN: '1781234567890123',
      TITLE: 'TikTok lead: Li Wei',
    });
    const comments = String(first?.COMMENTS);
    expect(comments).toContain('tiktok_advertiser_id: 7012345678901234567');
    expect(comments).toContain('tiktok_form_id: 7299876543210987654');
    const [second] = await waitFor(() => (leadsWith('7301234567890123457').length > 0 ? leadsWith('7301234567890123457') : undefined), 'the second lead');
    expect(second).toMatchObject({ NAME: 'Ana', LAST_NAME: 'Souza', COMPANY_TITLE: 'Souza Ltda' });
  });

  it('a redelivery creates nothing; a batch mixing old and new queues only the new', async () => {
    const again = await post(fixture);
    expect(await again.json()).toEqual({ received: 2, queued: 0, duplicates: 2 });
    const mixed = fixture.replace('7301234567890123457', '7301234567890123999');
    expect(await (await post(mixed)).json()).toEqual({ received: 2, queued: 1, duplicates: 1 });
    await waitFor(() => leadsWith('7301234567890123999').length === 1, 'the new lead');
    await sleep(300);
    expect(leadsWith('7301234567890123456')).toHaveLength(1);
  });

  it('takes a batch of 1,000 leads in one write; refuses 1,001', async () => {
    const entries = Array.from({ length: 1000 }, (_, i) => `{"id":${7400000000000000000n + BigInt(i)},"advertiser_id":7012345678901234567,"changes":[{"field":"email","value":"lead${i}@example.com"}]}`);
    const before = await queued();
    const body = `{"entry":[${entries.join(',')}],"time":1}`;
    const response = await post(body);
    expect(await response.json()).toEqual({ received: 1000, queued: 1000, duplicates: 0 });
    // One all-or-none write before the 200: every job is there now, under the id derived from its 19-digit lead id.
    expect((await queued()) - before).toBeGreaterThanOrEqual(1000);
    const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
    const last = await queue.getJob(deriveLeadId({ kind: 'tiktok', scope: '', id: '7400000000000000999' }));
    await queue.close();
    expect(last && readDeliverLeadJob(last.data as DeliverLeadJob, last.id).lead.source.externalId).toBe('7400000000000000999');
    const tooMany = await post(`{"entry":[${[...entries, entries[0]!.replace('7400000000000000000', '7500000000000000000')].join(',')}]}`);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error: 'malformed_webhook', details: [{ field: '/entry', message: 'must have at most 1000 leads' }] });
    // 1,000 status records and jobs, with the worker delivering meanwhile: slow on a loaded machine.
  }, 90_000);

  it('refuses wrong, missing and stale signatures, queueing nothing', async () => {
    const body = fixture.replace(/73012345678901234(5[67])/g, '73012345678900000$1');
    const before = await queued();
    expect((await post(body, null)).status).toBe(401);
    const wrong = await post(body, signTikTokBody(body, 'another-secret-000'));
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: 'signature_invalid' });
    const stale = await post(body, signTikTokBody(body, SECRET, Math.floor(Date.now() / 1000) - 3600));
    expect(await stale.json()).toMatchObject({ error: 'timestamp_stale' });
    expect((await post(body, signTikTokBody(`${body} `, SECRET))).status).toBe(403);
    await sleep(200);
    expect(await queued()).toBe(before);
  });
});
