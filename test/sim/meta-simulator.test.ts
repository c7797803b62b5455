import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metaLeadToLead } from '../../src/sources/meta/graph-lead';
import { MetaGraphClient } from '../../src/clients/meta/graph-client';
import {
  GraphAuthError, GraphPermissionError, GraphRateLimitedError, GraphRequestError, GraphTransientError, MetaGraphError,
} from '../../src/clients/meta/graph-errors';
import { parseLeadgenWebhook } from '../../src/sources/meta/leadgen-webhook';
import { verifyMetaSignature } from '../../src/sources/meta/verify-signature';
import { startMetaSimulator, type MetaSimulator } from '@leadgate/simulators';
import { IDENTITY, metaConfig } from '../unit/sources/source-configs';

const APP_SECRET = 'sim-app-secret';
const PAGE_A = '1234567890123456789';
const PAGE_B = '9876543210987654321';
const TOKEN_A = 'EAAB-token-a';
const TOKEN_B = 'EAAB-token-b';
const LEAD_ID = '9223372036854775807';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A stand-in for leadgate's webhook route: records what Meta would deliver. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(new URL(req.url ?? '/', 'http://x').searchParams.get('hub.challenge') ?? 'EVENT_RECEIVED');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/webhooks/meta`,
    received,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

async function caught(promise: Promise<unknown>): Promise<MetaGraphError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof MetaGraphError) return err;
    throw err;
  }
  throw new Error('expected a MetaGraphError');
}

describe('Meta simulator over real HTTP', () => {
  let sim: MetaSimulator;
  let client: MetaGraphClient;

  beforeEach(async () => {
    sim = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: { [PAGE_A]: TOKEN_A, [PAGE_B]: TOKEN_B } });
    client = new MetaGraphClient({ graphUrl: sim.graphUrl, version: 'v25.0', appSecret: APP_SECRET, timeoutMs: 2000 });
    sim.addLead({
      id: LEAD_ID, page_id: PAGE_A, form_id: '1000000000000000001', ad_id: '23849853425890185', ad_name: 'Ad A',
      adset_id: '23849853425890183', adset_name: 'Set A', campaign_id: '23849853425890100', campaign_name: 'Spring', platform: 'fb',
      is_organic: false, field_data: [{ name: 'full_name', values: ['Joe Example'] }, { name: 'email', values: ['joe@example.com'] }],
    });
  });
  afterEach(async () => sim.close());

  describe('Graph API lead endpoint', () => {
    it('serves the lead with the requested fields, checking the token and appsecret_proof', async () => {
      const lead = await client.fetchLead(LEAD_ID, TOKEN_A);
      expect(lead).toMatchObject({ id: LEAD_ID, ad_id: '23849853425890185', campaign_name: 'Spring', platform: 'fb', is_organic: false });
      expect(lead.field_data).toEqual([{ name: 'full_name', values: ['Joe Example'] }, { name: 'email', values: ['joe@example.com'] }]);
      const [call] = sim.graphCalls();
      expect(call).toMatchObject({ path: `/v25.0/${LEAD_ID}`, leadgenId: LEAD_ID, accessToken: TOKEN_A, status: 200 });
      expect(call?.appsecretProof).toMatch(/^[0-9a-f]{64}$/);
      expect(call?.fields).toEqual(expect.arrayContaining(['field_data', 'campaign_name', 'custom_disclaimer_responses', 'platform']));
    });

    it('answers an unknown lead id with code 100 subcode 33: a permission error', async () => {
      const error = await caught(client.fetchLead('111', TOKEN_A));
      expect(error).toBeInstanceOf(GraphPermissionError);
      expect(error.details).toMatchObject({ status: 400, code: 100, subcode: 33, type: 'GraphMethodException' });
      expect(error.details.fbtraceId).toBeTruthy();
    });

    it("refuses another Page's token for the lead (100/33), as Graph does", async () => {
      expect(await caught(client.fetchLead(LEAD_ID, TOKEN_B))).toBeInstanceOf(GraphPermissionError);
    });

    it('answers an expired token with 190/463 until a new token is issued', async () => {
      sim.expireToken(TOKEN_A);
      const error = await caught(client.fetchLead(LEAD_ID, TOKEN_A));
      expect(error).toBeInstanceOf(GraphAuthError);
      expect(error.retryable).toBe(false);
      expect(error.details).toMatchObject({ code: 190, subcode: 463 });
      expect(error.message).toMatch(/expired.*issue a new long-lived Page access token/);
      expect(error.message).not.toContain(TOKEN_A);
      sim.setPageToken(PAGE_A, 'EAAB-token-a2');
      await expect(client.fetchLead(LEAD_ID, 'EAAB-token-a2')).resolves.toMatchObject({ id: LEAD_ID });
    });

    it('answers a token Meta never issued with 190', async () => {
      const error = await caught(client.fetchLead(LEAD_ID, 'EAAB-forged'));
      expect(error).toBeInstanceOf(GraphAuthError);
      expect(error.details.code).toBe(190);
    });

    it('refuses an appsecret_proof made with the wrong app secret: a permanent request error', async () => {
      const wrong = new MetaGraphClient({ graphUrl: sim.graphUrl, version: 'v25.0', appSecret: 'another-app' });
      const error = await caught(wrong.fetchLead(LEAD_ID, TOKEN_A));
      expect(error).toBeInstanceOf(GraphRequestError);
      expect(error.details.graphMessage).toBe('Invalid appsecret_proof provided in the API argument');
    });

    it('rate limits for the injected number of calls, then serves the lead', async () => {
      const usage = JSON.stringify({ [PAGE_A]: [{ type: 'leadgen', call_count: 100, estimated_time_to_regain_access: 2 }] });
      sim.injectGraphError({ count: 2, status: 400, code: 80005, message: 'There have been too many leadgen api calls', type: 'OAuthException', headers: { 'x-business-use-case-usage': usage } });
      for (let i = 0; i < 2; i += 1) {
        const error = await caught(client.fetchLead(LEAD_ID, TOKEN_A));
        expect(error).toBeInstanceOf(GraphRateLimitedError);
        expect(error.retryable).toBe(true);
        expect((error as GraphRateLimitedError).retryAfterMs).toBe(120_000);
      }
      await expect(client.fetchLead(LEAD_ID, TOKEN_A)).resolves.toMatchObject({ id: LEAD_ID });
    });

    it.each([
      [{ status: 500, code: 2, type: 'OAuthException', message: 'Service temporarily unavailable' }, GraphTransientError],
      [{ status: 500, code: 1, type: 'OAuthException', message: 'An unknown error occurred' }, GraphTransientError],
      [{ status: 403, code: 10, type: 'OAuthException', message: '(#10) Permission denied' }, GraphPermissionError],
      [{ status: 403, code: 200, type: 'OAuthException', message: '(#200) Requires leads_retrieval permission' }, GraphPermissionError],
      [{ status: 400, code: 4, type: 'OAuthException', message: '(#4) Application request limit reached' }, GraphRateLimitedError],
      [{ status: 400, code: 190, subcode: 460, type: 'OAuthException', message: 'password changed' }, GraphAuthError],
    ])('classifies injected %j', async (injection, expected) => {
      sim.injectGraphError({ count: 1, ...injection });
      expect(await caught(client.fetchLead(LEAD_ID, TOKEN_A))).toBeInstanceOf(expected);
    });

    it('reports an unreachable Graph API or one that never answers as transient', async () => {
      const url = sim.graphUrl;
      await sim.close();
      const down = new MetaGraphClient({ graphUrl: url, version: 'v25.0', appSecret: APP_SECRET });
      expect(await caught(down.fetchLead(LEAD_ID, TOKEN_A))).toBeInstanceOf(GraphTransientError);

      const silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const slow = new MetaGraphClient({ graphUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, version: 'v25.0', appSecret: APP_SECRET, timeoutMs: 200 });
      const error = await caught(slow.fetchLead(LEAD_ID, TOKEN_A));
      expect(error).toBeInstanceOf(GraphTransientError);
      expect(error.message).toMatch(/no answer within 200 ms/);
      silent.closeAllConnections();
      silent.close();
      sim = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: {} }); // for afterEach
    });

    it('refuses to put anything but digits in the Graph URL', async () => {
      expect(await caught(client.fetchLead('../me/accounts', TOKEN_A))).toBeInstanceOf(GraphRequestError);
      expect(sim.graphCalls()).toEqual([]);
    });
  });

  describe('lead forms, form leads and debug_token (backfill and token health)', () => {
    const FORM_1 = '3000000000000000001';
    const FORM_2 = '3000000000000000002';
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+0000');

    beforeEach(() => {
      sim.addForm({ id: FORM_1, page_id: PAGE_A, name: 'Test drive' });
      sim.addForm({ id: FORM_2, page_id: PAGE_A, status: 'ARCHIVED' });
      sim.addForm({ id: '3000000000000000009', page_id: PAGE_B });
      for (let i = 0; i < 250; i += 1) sim.addLead({ id: String(4000000000000000000n + BigInt(i)), page_id: PAGE_A, form_id: FORM_1, created_time: hoursAgo(1), field_data: [] });
      sim.addLead({ id: '4100000000000000001', page_id: PAGE_A, form_id: FORM_1, created_time: hoursAgo(48), field_data: [] });
    });

    it("lists the Page's forms for a token of that Page only", async () => {
      expect(await client.listForms(PAGE_A, TOKEN_A)).toEqual([
        { id: FORM_1, name: 'Test drive', status: 'ACTIVE' },
        { id: FORM_2, name: `Form ${FORM_2}`, status: 'ARCHIVED' },
      ]);
      expect(await caught(client.listForms(PAGE_A, TOKEN_B))).toBeInstanceOf(GraphPermissionError);
    });

    it('reads every page of a form\'s leads created after a time, ids and time only', async () => {
      const leads = await client.leadsSince(FORM_1, TOKEN_A, Date.now() / 1000 - 24 * 3600);
      expect(leads).toHaveLength(250);
      expect(new Set(leads.map((l) => l.id)).size).toBe(250);
      expect(leads[0]).toEqual({ id: expect.stringMatching(/^4000000000000000/), created_time: expect.any(String), form_id: FORM_1 });
      const calls = sim.graphCalls().filter((c) => c.path.endsWith(`/${FORM_1}/leads`));
      expect(calls).toHaveLength(3);
      expect(calls[0]?.fields).toEqual(['id', 'created_time', 'form_id', 'ad_id']);
      expect(await client.leadsSince(FORM_1, TOKEN_A, Date.now() / 1000 - 72 * 3600)).toHaveLength(251);
    });

    it('classifies list errors like lead reads: expired token, rate limit', async () => {
      sim.injectGraphError({ count: 1, status: 400, code: 80005, message: 'There have been too many leadgen api calls', type: 'OAuthException' });
      expect(await caught(client.leadsSince(FORM_1, TOKEN_A, 0))).toBeInstanceOf(GraphRateLimitedError);
      sim.expireToken(TOKEN_A);
      expect(await caught(client.listForms(PAGE_A, TOKEN_A))).toBeInstanceOf(GraphAuthError);
    });

    it('debug_token describes a token: validity, expiry, scopes, the Page it is granted for', async () => {
      const info = await client.inspectToken(TOKEN_A, sim.appToken);
      expect(info).toMatchObject({ isValid: true, expiresAt: 0, scopes: expect.arrayContaining(['leads_retrieval']) });
      expect(info.granularScopes.get('leads_retrieval')).toEqual([PAGE_A]);

      const in3Days = Math.floor(Date.now() / 1000) + 3 * 86400;
      sim.setTokenInfo(TOKEN_B, { expiresAt: in3Days, scopes: ['pages_show_list'] });
      expect(await client.inspectToken(TOKEN_B, sim.appToken)).toMatchObject({ isValid: true, expiresAt: in3Days, scopes: ['pages_show_list'] });
      // The token may inspect itself when no app token is configured.
      expect(await client.inspectToken(TOKEN_B, TOKEN_B)).toMatchObject({ isValid: true, expiresAt: in3Days });
    });

    it('debug_token answers an expired or unknown token with is_valid false and the reason; a dead caller is an auth error', async () => {
      sim.expireToken(TOKEN_A);
      expect(await client.inspectToken(TOKEN_A, sim.appToken)).toMatchObject({ isValid: false, error: { code: 190, subcode: 463 } });
      expect(await client.inspectToken('EAAB-forged', sim.appToken)).toMatchObject({ isValid: false, scopes: [], error: { code: 190 } });
      expect(await caught(client.inspectToken(TOKEN_A, TOKEN_A))).toBeInstanceOf(GraphAuthError);
      sim.setTokenInfo(TOKEN_B, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
      expect(await caught(client.fetchLead(LEAD_ID, TOKEN_B))).toBeInstanceOf(GraphAuthError);
    });
  });

  describe('webhooks', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    beforeEach(async () => {
      receiver = await startReceiver();
    });
    afterEach(async () => receiver.close());

    it('signs like Meta and groups leads per page: two entries, three leads', async () => {
      sim.addLead({ id: '200000000000000001', page_id: PAGE_B, form_id: '77', field_data: [] });
      const response = await sim.sendWebhook(receiver.url, [
        LEAD_ID,
        { leadgenId: '100000000000000002', pageId: PAGE_A, formId: '1000000000000000001', adId: '5', adgroupId: '6', createdTime: 1700000000 },
        '200000000000000001',
      ]);
      expect(response.status).toBe(200);
      const [request] = receiver.received;
      expect(request?.headers['content-type']).toBe('application/json');
      expect(verifyMetaSignature(request?.body ?? Buffer.alloc(0), request?.headers['x-hub-signature-256'] as string, APP_SECRET)).toBe('ok');
      const body = JSON.parse(request?.body.toString() ?? '{}') as { object: string; entry: Array<{ id: string; time: number; changes: unknown[] }> };
      expect(body.object).toBe('page');
      expect(body.entry.map((e) => [e.id, e.changes.length])).toEqual([[PAGE_A, 2], [PAGE_B, 1]]);
      expect(parseLeadgenWebhook(request?.body ?? '')).toEqual([
        { leadgenId: LEAD_ID, pageId: PAGE_A, formId: '1000000000000000001', adId: '23849853425890185', adgroupId: '23849853425890183', createdTime: expect.any(Number) },
        { leadgenId: '100000000000000002', pageId: PAGE_A, formId: '1000000000000000001', adId: '5', adgroupId: '6', createdTime: 1700000000 },
        { leadgenId: '200000000000000001', pageId: PAGE_B, formId: '77', createdTime: expect.any(Number) },
      ]);
    });

    it('can send 19-digit ids as bare JSON numbers, which the parser keeps exact', async () => {
      await sim.sendWebhook(receiver.url, [LEAD_ID], { numericIds: true });
      const raw = receiver.received[0]?.body ?? Buffer.alloc(0);
      expect(raw.toString()).toContain(`"leadgen_id":${LEAD_ID}`);
      expect(verifyMetaSignature(raw, receiver.received[0]?.headers['x-hub-signature-256'] as string, APP_SECRET)).toBe('ok');
      expect(parseLeadgenWebhook(raw)[0]).toMatchObject({ leadgenId: LEAD_ID, pageId: PAGE_A });
    });

    it('sends unsigned, wrongly signed and tampered bodies on request', async () => {
      await sim.sendWebhook(receiver.url, [LEAD_ID], { signWith: false });
      await sim.sendWebhook(receiver.url, [LEAD_ID], { signWith: 'old-secret' });
      await sim.sendWebhook(receiver.url, [LEAD_ID], { tamper: true });
      const checks = receiver.received.map((r) => verifyMetaSignature(r.body, r.headers['x-hub-signature-256'] as string | undefined, APP_SECRET));
      expect(checks).toEqual(['missing', 'invalid', 'invalid']);
      expect(parseLeadgenWebhook(receiver.received[2]?.body ?? '')[0]?.leadgenId).not.toBe(LEAD_ID);
    });

    it('performs the subscription handshake', async () => {
      const response = await sim.subscribe(receiver.url, 'verify-me', '1158201444');
      expect(await response.text()).toBe('1158201444');
      const query = new URL(receiver.received[0]?.url ?? '', 'http://x').searchParams;
      expect([query.get('hub.mode'), query.get('hub.verify_token'), query.get('hub.challenge')]).toEqual(['subscribe', 'verify-me', '1158201444']);
    });

    it('webhook → Graph → Lead: the pieces fit together', async () => {
      await sim.sendWebhook(receiver.url, [LEAD_ID]);
      const [notification] = parseLeadgenWebhook(receiver.received[0]?.body ?? '');
      if (!notification) throw new Error('no notification');
      const graphLead = await client.fetchLead(notification.leadgenId, TOKEN_A);
      const mapped = metaLeadToLead(graphLead, notification, metaConfig({ pages: { [PAGE_A]: { accessToken: TOKEN_A } } }), IDENTITY);
      expect(mapped.ok && mapped.value).toMatchObject({
        source: { kind: 'meta', name: PAGE_A, externalId: LEAD_ID },
        fields: { NAME: 'Joe', LAST_NAME: 'Example', TITLE: 'Facebook lead ad: Joe Example', SOURCE_ID: 'ADVERTISING' },
        utm: { source: 'facebook', medium: 'paid_social', campaign: 'Spring', content: 'Ad A', term: 'Set A' },
      });
    });
  });

  describe('control API (/_sim/) for out-of-process use', () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${sim.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    };

    it('adds leads, injects errors, expires tokens and lists Graph calls', async () => {
      expect(await call('POST', '/_sim/leads', { id: '42', page_id: PAGE_B, field_data: [] })).toEqual({ status: 201, body: { id: '42' } });
      expect((await call('POST', '/_sim/graph-errors', { count: 1, status: 400, code: 17, message: 'User request limit reached', type: 'OAuthException' })).status).toBe(204);
      expect(await caught(client.fetchLead('42', TOKEN_B))).toBeInstanceOf(GraphRateLimitedError);
      await expect(client.fetchLead('42', TOKEN_B)).resolves.toMatchObject({ id: '42' });
      expect((await call('POST', '/_sim/tokens/expire', { token: TOKEN_B })).status).toBe(204);
      expect(await caught(client.fetchLead('42', TOKEN_B))).toBeInstanceOf(GraphAuthError);
      expect((await call('PUT', `/_sim/pages/${PAGE_B}/token`, { token: 'EAAB-new' })).status).toBe(204);
      await expect(client.fetchLead('42', 'EAAB-new')).resolves.toMatchObject({ id: '42' });
      const calls = (await call('GET', '/_sim/graph-calls')).body as Array<{ status: number; errorCode?: number }>;
      expect(calls.map((c) => c.errorCode ?? c.status)).toEqual([17, 200, 190, 200]);
    });

    it('sends webhooks and answers what the receiver said', async () => {
      const receiver = await startReceiver();
      const answer = await call('POST', '/_sim/webhooks', { targetUrl: receiver.url, notifications: [LEAD_ID], numericIds: true });
      expect(answer).toEqual({ status: 200, body: { status: 200, body: 'EVENT_RECEIVED' } });
      expect(verifyMetaSignature(receiver.received[0]?.body ?? Buffer.alloc(0), receiver.received[0]?.headers['x-hub-signature-256'] as string, APP_SECRET)).toBe('ok');
      await receiver.close();
    });

    it('answers 400 for a bad control call and 404 for an unknown one', async () => {
      expect((await call('POST', '/_sim/leads', { page_id: '1' })).status).toBe(400);
      expect((await call('POST', '/_sim/graph-errors', { count: 'x' })).status).toBe(400);
      expect((await call('GET', '/_sim/nothing')).status).toBe(404);
    });
  });
});
