import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { linkedInSignature, startLinkedInSimulator, type LinkedInSimulator } from '../src/linkedin';

const SECRET = 'client-secret-0001';
let li: LinkedInSimulator;

beforeEach(async () => {
  li = await startLinkedInSimulator({ clientId: 'cid', clientSecret: SECRET, accessToken: 'tok-1', refreshToken: 'ref-1' });
  li.addForm({ id: 42, name: 'Form', questions: [{ questionId: 1, name: 'email', label: 'Email', predefinedField: 'EMAIL' }] });
  li.addResponse({ id: 'r-1', formId: 42, answers: [{ questionId: 1, text: 'a@example.com' }], testLead: true });
});
afterEach(async () => {
  await li.close();
});

const get = (path: string, token = li.accessToken(), version: string | null = '202601') =>
  fetch(`${li.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...(version ? { 'linkedin-version': version } : {}) } });
const refresh = (refreshToken: string, secret = SECRET) =>
  fetch(`${li.url}/oauth/v2/accessToken`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'cid', client_secret: secret }) });

describe('LinkedIn simulator: Lead Sync API', () => {
  it('serves a form response and its form in the Lead Sync shapes', async () => {
    const response = (await (await get('/rest/leadFormResponses/r-1')).json()) as Record<string, unknown>;
    expect(response).toMatchObject({
      id: 'r-1',
      testLead: true,
      versionedLeadGenFormUrn: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:42,1)',
      formResponse: { answers: [{ questionId: 1, answerDetails: { textQuestionAnswer: { answer: 'a@example.com' } } }] },
    });
    expect(await (await get('/rest/leadForms/42')).json()).toMatchObject({ id: 42, content: { questions: [{ questionId: 1, predefinedField: 'EMAIL', question: { localized: { en_US: 'Email' } } }] } });
  });

  it("answers LinkedIn's error bodies: no version, unknown id, bad token, expired, revoked", async () => {
    expect((await get('/rest/leadFormResponses/r-1', li.accessToken(), null)).status).toBe(426);
    expect(await (await get('/rest/leadFormResponses/nope')).json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await (await get('/rest/leadFormResponses/r-1', 'wrong')).json()).toMatchObject({ status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN' });
    li.expireToken();
    expect(await (await get('/rest/leadFormResponses/r-1')).json()).toMatchObject({ status: 401, serviceErrorCode: 65601, code: 'EXPIRED_ACCESS_TOKEN' });
    li.revokeAll();
    expect(await (await get('/rest/leadFormResponses/r-1')).json()).toMatchObject({ serviceErrorCode: 65602, code: 'REVOKED_ACCESS_TOKEN' });
    expect(await (await refresh('ref-1')).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refreshes with the refresh token and client credentials only, issuing a token the API accepts', async () => {
    expect((await refresh('ref-1', 'other-secret')).status).toBe(401);
    expect(await (await refresh('ref-x')).json()).toMatchObject({ error: 'invalid_grant' });
    li.expireToken();
    const body = (await (await refresh('ref-1')).json()) as { access_token: string; refresh_token: string; expires_in: number };
    expect(body).toMatchObject({ refresh_token: 'ref-1', expires_in: 5_184_000 });
    expect((await get('/rest/leadFormResponses/r-1', body.access_token)).status).toBe(200);
  });

  it('fails the next calls on request, with the given status', async () => {
    li.failNext(1, 429, 'TOO_MANY_REQUESTS');
    expect((await get('/rest/leadFormResponses/r-1')).status).toBe(429);
    expect((await get('/rest/leadFormResponses/r-1')).status).toBe(200);
    expect(li.calls().map((c) => c.status)).toEqual([429, 200]);
  });
});

describe('LinkedIn simulator: notifications and validation', () => {
  let receiver: Server;
  let received: Array<{ headers: Record<string, unknown>; body: string; url: string }>;
  let answerChallenge: (code: string) => unknown;
  let url: string;

  beforeEach(async () => {
    received = [];
    answerChallenge = (code) => ({ challengeCode: code, challengeResponse: createHmac('sha256', SECRET).update(code).digest('hex') });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        received.push({ headers: req.headers, body, url: req.url ?? '' });
        const code = new URL(req.url ?? '/', 'http://x').searchParams.get('challengeCode');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(code ? answerChallenge(code) : {}));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterEach(async () => {
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('signs a notification with X-LI-Signature = hex HMAC of "hmacsha256=" + body', async () => {
    await li.sendNotification(url, 'r-1');
    const [delivery] = received;
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'LEAD_ACTION', leadGenFormResponse: 'urn:li:leadGenFormResponse:r-1', leadAction: 'CREATED', leadType: 'SPONSORED' });
    expect(delivery!.headers['x-li-signature']).toBe(createHmac('sha256', SECRET).update(`hmacsha256=${delivery!.body}`).digest('hex'));
    expect(linkedInSignature(delivery!.body, SECRET)).toBe(delivery!.headers['x-li-signature']);
  });

  it('judges a validation answer: right HMAC passes, a wrong one fails', async () => {
    expect(await li.sendChallenge(url)).toMatchObject({ ok: true, status: 200 });
    answerChallenge = (code) => ({ challengeCode: code, challengeResponse: 'nope' });
    expect(await li.sendChallenge(url)).toMatchObject({ ok: false });
  });
});
