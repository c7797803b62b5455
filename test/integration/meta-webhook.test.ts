import { Queue } from 'bullmq';
import { META_LEADS_QUEUE } from '../../src/queue/jobs';
import { openDeadLetters } from '../../src/runtime/services';
import { signMetaBody } from '../../src/sources/meta/verify-signature';
import { startMetaSimulator, type MetaSimulator } from '@leadgate/simulators';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const APP_SECRET = 'meta-app-secret';
const VERIFY_TOKEN = 'verify-me-2026';
const PAGE_A = '1234567890123456789';
const PAGE_B = '9876543210987654321';
const PAGE_EXPIRED = '5555555555555555555';
const PAGE_UNKNOWN = '4444444444444444444';
const TOKEN_A = 'EAAB-token-a';
const TOKEN_B = 'EAAB-token-b';
const TOKEN_EXPIRED = 'EAAB-token-expired';

let meta: MetaSimulator;
let stack: Stack;
let webhookUrl: string;

beforeAll(async () => {
  meta = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: { [PAGE_A]: TOKEN_A, [PAGE_B]: TOKEN_B, [PAGE_EXPIRED]: TOKEN_EXPIRED } });
  stack = await startStack('meta-webhook', {
    overrides: {
      sources: {
        meta: {
          appSecret: APP_SECRET,
          verifyToken: VERIFY_TOKEN,
          graphUrl: meta.graphUrl,
          graphTimeoutMs: 2000,
          tokenHealth: { pausedRecheckMinutes: 0.02 },
          pages: { [PAGE_A]: { accessToken: TOKEN_A }, [PAGE_B]: { accessToken: TOKEN_B }, [PAGE_EXPIRED]: { accessToken: TOKEN_EXPIRED } },
          fieldMap: { car_make: 'UF_CRM_CAR_MAKE' },
          phoneCountry: 'DE',
        },
      },
    },
  });
  webhookUrl = `${stack.api.url}/v1/webhooks/meta`;
});

afterAll(async () => {
  await stack.stop();
  await meta.close();
});

function leadsFor(leadgenId: string): Array<Record<string, unknown>> {
  return stack.sim.leads().map((l) => l.fields).filter((f) => String(f.COMMENTS ?? '').includes(`meta_lead_id: ${leadgenId}`));
}

async function fetchJobCount(): Promise<number> {
  const queue = new Queue(META_LEADS_QUEUE, { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function metricsText(): Promise<string> {
  return (await fetch(`${stack.api.url}/metrics`)).text();
}

function graphCallsFor(leadgenId: string): number {
  return meta.graphCalls().filter((c) => c.leadgenId === leadgenId).length;
}

describe('Meta Lead Ads webhook → Graph API → Bitrix24', () => {
  it('turns a signed webhook with two entries and three leads into three Bitrix24 leads with mapped fields and UTM', async () => {
    meta.addLead({
      id: '1000000000000000001', page_id: PAGE_A, form_id: '7000000000000000001', platform: 'fb', is_organic: false,
      ad_id: '23849853425890185', ad_name: 'Spring ad', adset_id: '23849853425890183', adset_name: 'Berlin 25-40', campaign_id: '23849853425890100', campaign_name: 'Spring 2026',
      field_data: [
        { name: 'full_name', values: ['Anna Schmidt'] }, { name: 'email', values: ['anna@example.com'] },
        { name: 'phone_number', values: ['030 1234567'] }, { name: 'city', values: ['Berlin'] }, { name: 'car_make', values: ['Honda'] },
        { name: 'selected_dealer', values: ['99213450'] },
      ],
    });
    meta.addLead({
      id: '1000000000000000002', page_id: PAGE_A, form_id: '7000000000000000001', platform: 'ig', is_organic: false,
      ad_id: '23849853425890186', ad_name: 'Reel ad', adset_id: '23849853425890183', adset_name: 'Berlin 25-40', campaign_id: '23849853425890100', campaign_name: 'Spring 2026',
      field_data: [{ name: 'first_name', values: ['Ben'] }, { name: 'last_name', values: ['Wolf'] }, { name: 'email', values: ['ben@example.com'] }],
    });
    meta.addLead({
      id: '2000000000000000001', page_id: PAGE_B, form_id: '8000000000000000001', platform: 'fb', is_organic: false,
      ad_id: '33849853425890001', ad_name: 'Summer ad', adset_id: '33849853425890002', adset_name: 'Munich', campaign_id: '33849853425890003', campaign_name: 'Summer',
      field_data: [{ name: 'full_name', values: ['Carla Diaz'] }, { name: 'work_email', values: ['carla@corp.example'] }, { name: 'company_name', values: ['Corp'] }],
    });

    const response = await meta.sendWebhook(webhookUrl, ['1000000000000000001', '1000000000000000002', '2000000000000000001']);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 3, queued: 3, duplicates: 0 });

    await waitFor(() => ['1000000000000000001', '1000000000000000002', '2000000000000000001'].every((id) => leadsFor(id).length === 1), 'three Bitrix24 leads', 15_000);
    const [anna] = leadsFor('1000000000000000001');
    expect(anna).toMatchObject({
      NAME: 'Anna',
      LAST_NAME: 'Schmidt',
      EMAIL: [{ VALUE: 'anna@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+49301234567', VALUE_TYPE: 'WORK' }],
      ADDRESS_CITY: 'Berlin',
      UF_CRM_CAR_MAKE: 'Honda',
      SOURCE_ID: 'ADVERTISING',
      TITLE: 'Facebook lead ad: Anna Schmidt',
      UTM_SOURCE: 'facebook',
      UTM_MEDIUM: 'paid_social',
      UTM_CAMPAIGN: 'Spring 2026',
      UTM_CONTENT: 'Spring ad',
      UTM_TERM: 'Berlin 25-40',
    });
    expect(anna?.COMMENTS).toContain('selected dealer: 99213450');
    expect(anna?.COMMENTS).toContain(`meta_page_id: ${PAGE_A}`);
    expect(anna?.COMMENTS).toContain('meta_ad_id: 23849853425890185');
    expect(leadsFor('1000000000000000002')[0]).toMatchObject({ NAME: 'Ben', LAST_NAME: 'Wolf', UTM_SOURCE: 'instagram', UTM_CONTENT: 'Reel ad' });
    expect(leadsFor('2000000000000000001')[0]).toMatchObject({ NAME: 'Carla', COMPANY_TITLE: 'Corp', UTM_CAMPAIGN: 'Summer', UTM_TERM: 'Munich' });

    // The same webhook again (Meta's retry): acknowledged, ignored, no new lead.
    const again = await meta.sendWebhook(webhookUrl, ['1000000000000000001', '1000000000000000002', '2000000000000000001']);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: 3, queued: 0, duplicates: 3 });
    await sleep(300);
    for (const id of ['1000000000000000001', '1000000000000000002', '2000000000000000001']) expect(leadsFor(id)).toHaveLength(1);
    expect(graphCallsFor('1000000000000000001')).toBe(1);
    expect(await metricsText()).toMatch(/leadgate_webhook_duplicates_total\{source="meta"\} 3/);
  });

  it('keeps every digit of ids sent as bare JSON numbers', async () => {
    meta.addLead({ id: '9223372036854775807', page_id: PAGE_A, ad_id: '23849853425890999', campaign_name: 'Digits', field_data: [{ name: 'email', values: ['digits@example.com'] }] });
    const response = await meta.sendWebhook(webhookUrl, ['9223372036854775807'], { numericIds: true });
    expect(response.status).toBe(200);
    const [fields] = await waitFor(() => (leadsFor('9223372036854775807').length === 1 ? leadsFor('9223372036854775807') : undefined), 'the lead', 10_000);
    expect(fields?.COMMENTS).toContain(`meta_page_id: ${PAGE_A}`);
  });

  it('refuses a wrong signature, a body altered after signing and an unsigned call, queueing nothing', async () => {
    meta.addLead({ id: '3000000000000000001', page_id: PAGE_A, ad_id: '1', field_data: [{ name: 'email', values: ['forged@example.com'] }] });
    const before = await fetchJobCount();

    const wrong = await meta.sendWebhook(webhookUrl, ['3000000000000000001'], { signWith: 'old-app-secret' });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: 'signature_invalid' });

    const tampered = await meta.sendWebhook(webhookUrl, ['3000000000000000001'], { tamper: true });
    expect(tampered.status).toBe(403);
    expect(await tampered.json()).toMatchObject({ error: 'signature_invalid' });

    const unsigned = await meta.sendWebhook(webhookUrl, ['3000000000000000001'], { signWith: false });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: 'signature_missing' });

    await sleep(200);
    expect(await fetchJobCount()).toBe(before);
    expect(graphCallsFor('3000000000000000001')).toBe(0);
    expect(leadsFor('3000000000000000001')).toHaveLength(0);
    expect(await metricsText()).toMatch(/leadgate_leads_rejected_total\{source="meta",reason="signature_invalid"\} 2/);

    // The genuine delivery afterwards is taken in: a forged call did not mark the id as seen.
    expect((await meta.sendWebhook(webhookUrl, ['3000000000000000001'])).status).toBe(200);
    await waitFor(() => leadsFor('3000000000000000001').length === 1, 'the genuine lead', 10_000);
  });

  it('answers a signed body that is not a leadgen notification with 400', async () => {
    const body = JSON.stringify({ object: 'page', entry: [{ id: PAGE_A, time: 1, changes: [{ field: 'leadgen', value: { page_id: PAGE_A } }] }] });
    const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, APP_SECRET) }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'malformed_webhook', details: [expect.objectContaining({ field: expect.stringContaining('leadgen_id') })] });
  });

  it('answers the subscription handshake with the challenge as text/plain, and a stale verify token with 403', async () => {
    const ok = await meta.subscribe(webhookUrl, VERIFY_TOKEN, '1158201444');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe('1158201444');

    const stale = await meta.subscribe(webhookUrl, 'verify-me-2025', '1158201444');
    expect(stale.status).toBe(403);
    expect(await stale.json()).toMatchObject({ error: 'verification_failed' });
  });

  it('holds a lead whose Page token expired (no dead letter, no attempt spent) and delivers it once the token works again', async () => {
    // Pausing, /readyz and the restart with a new token are specified in meta-token-health.test.ts.
    meta.addLead({ id: '5000000000000000001', page_id: PAGE_EXPIRED, ad_id: '9', field_data: [{ name: 'email', values: ['late@example.com'] }] });
    meta.expireToken(TOKEN_EXPIRED);
    expect((await meta.sendWebhook(webhookUrl, ['5000000000000000001'])).status).toBe(200);

    await waitFor(async () => (await metricsText()).includes('leadgate_source_fetch_failures_total{source="meta",kind="auth"} 1'), 'the refused read', 10_000);
    const ready = (await (await fetch(`${stack.api.url}/readyz`)).json()) as { meta: { pages: Record<string, { paused: boolean; reason: string }> } };
    expect(ready.meta.pages[PAGE_EXPIRED]).toMatchObject({ paused: true, reason: expect.stringContaining(`sources.meta.pages.${PAGE_EXPIRED}.accessToken`) });
    expect(JSON.stringify(ready)).not.toContain(TOKEN_EXPIRED);
    const { dlq, close } = await openDeadLetters(stack.config);
    try {
      expect((await dlq.list()).find((e) => e.lead.source.externalId === '5000000000000000001')).toBeUndefined();
    } finally {
      await close();
    }

    // Meta accepts the token again (as after the user re-authorised the app): the next check resumes reads.
    meta.setPageToken(PAGE_EXPIRED, TOKEN_EXPIRED);
    await waitFor(() => leadsFor('5000000000000000001').length === 1, 'the held lead in Bitrix24', 15_000);
  });

  it('dead-letters a lead for a Page that has no token configured', async () => {
    meta.addLead({ id: '6000000000000000001', page_id: PAGE_UNKNOWN, ad_id: '9', field_data: [] });
    expect((await meta.sendWebhook(webhookUrl, [{ leadgenId: '6000000000000000001', pageId: PAGE_UNKNOWN }])).status).toBe(200);
    const { dlq, close } = await openDeadLetters(stack.config);
    try {
      const entry = await waitFor(async () => (await dlq.list()).find((e) => e.lead.source.externalId === '6000000000000000001'), 'the dead letter', 10_000);
      expect(entry.code).toBe('META_UNKNOWN_PAGE');
      expect(entry.reason).toContain(`sources.meta.pages.${PAGE_UNKNOWN}.accessToken`);
      expect(graphCallsFor('6000000000000000001')).toBe(0);
    } finally {
      await close();
    }
  });

  it('retries through Graph API rate limiting, then delivers the lead once', async () => {
    meta.addLead({ id: '7000000000000000001', page_id: PAGE_B, ad_id: '10', campaign_name: 'Throttled', field_data: [{ name: 'email', values: ['patient@example.com'] }] });
    meta.injectGraphError({ count: 3, status: 400, code: 80005, type: 'OAuthException', message: 'There have been too many leadgen api calls to this Page' });
    expect((await meta.sendWebhook(webhookUrl, ['7000000000000000001'])).status).toBe(200);
    await waitFor(() => leadsFor('7000000000000000001').length === 1, 'the lead after the rate limit', 15_000);
    const calls = meta.graphCalls().filter((c) => c.leadgenId === '7000000000000000001');
    expect(calls.map((c) => c.errorCode ?? c.status)).toEqual([80005, 80005, 80005, 200]);
    expect(leadsFor('7000000000000000001')[0]).toMatchObject({ UTM_CAMPAIGN: 'Throttled' });
    expect(await metricsText()).toMatch(/leadgate_source_fetch_failures_total\{source="meta",kind="rate_limited"\} 3/);
  });

  it('delivers a lead from the Lead Ads Testing Tool (no ad id) marked [TEST]', async () => {
    meta.addLead({ id: '8000000000000000001', page_id: PAGE_A, form_id: '7000000000000000001', field_data: [{ name: 'email', values: ['tester@example.com'] }] });
    expect((await meta.sendWebhook(webhookUrl, ['8000000000000000001'])).status).toBe(200);
    await waitFor(() => leadsFor('8000000000000000001').length === 1, 'the test lead', 10_000);
    expect(String(leadsFor('8000000000000000001')[0]?.TITLE)).toMatch(/^\[TEST\] /);
  });
});

describe('Meta webhook without an app secret', () => {
  it('is off (404) and reads nothing', async () => {
    const off = await startStack('meta-off', { overrides: { sources: { meta: { verifyToken: VERIFY_TOKEN, pages: {} } } } });
    try {
      const body = JSON.stringify({ object: 'page', entry: [] });
      const response = await fetch(`${off.api.url}/v1/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, 'anything') }, body });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'source_disabled' });
      expect(off.api.metaWorker).toBeUndefined();
    } finally {
      await off.stop();
    }
  });
});
