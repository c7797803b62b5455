import { createSign, generateKeyPairSync } from 'node:crypto';
import { startGoogleAdsSimulator, type GoogleAdsSimulator } from '../src/google-ads';

let google: GoogleAdsSimulator;

beforeEach(async () => {
  google = await startGoogleAdsSimulator({ customerId: '1234567890', conversionActionIds: ['987'] });
});
afterEach(() => google.close());

function assertion(claims: Record<string, unknown>, key = google.serviceAccount.privateKey): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${body}.${createSign('RSA-SHA256').update(body).sign(key).toString('base64url')}`;
}

async function token(claims: Record<string, unknown> = {}): Promise<Response> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = assertion({ iss: google.serviceAccount.clientEmail, scope: 'https://www.googleapis.com/auth/datamanager', aud: google.tokenUrl, iat: now, exp: now + 3600, ...claims });
  return fetch(google.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt }).toString() });
}

const event = (over: Record<string, unknown> = {}) => ({ adIdentifiers: { gclid: 'G-1' }, eventTimestamp: '2026-12-01T10:00:00+01:00', transactionId: 't1', eventSource: 'WEB', ...over });
const request = (events: unknown[], over: Record<string, unknown> = {}) => ({
  destinations: [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, productDestinationId: '987' }],
  events,
  ...over,
});

async function ingest(accessToken: string, body: unknown): Promise<Response> {
  return fetch(google.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: JSON.stringify(body) });
}

describe('Google Ads simulator: service-account token and Data Manager events:ingest', () => {
  it('exchanges a signed service-account JWT for an access token that ingest accepts', async () => {
    const res = await token();
    expect(res.status).toBe(200);
    const { access_token, expires_in, token_type } = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
    expect([expires_in, token_type]).toEqual([3599, 'Bearer']);
    const ok = await ingest(access_token, request([event()]));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ requestId: expect.any(String) });
    expect(google.ingested()).toEqual([expect.objectContaining({ productDestinationId: '987', validateOnly: false, event: event() })]);
  });

  it('refuses a JWT signed with another key, for another audience, or without the datamanager scope', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const now = Math.floor(Date.now() / 1000);
    const forged = assertion({ iss: google.serviceAccount.clientEmail, scope: 'https://www.googleapis.com/auth/datamanager', aud: google.tokenUrl, iat: now, exp: now + 3600 }, other);
    const res = await fetch(google.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: forged }).toString() });
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    expect((await (await token({ aud: 'https://elsewhere/token' })).json()) as object).toMatchObject({ error: 'invalid_grant' });
    expect((await (await token({ scope: 'https://www.googleapis.com/auth/adwords' })).json()) as object).toMatchObject({ error: 'invalid_scope' });
    expect(google.tokensIssued()).toBe(0);
  });

  it('checks accounts, conversion actions and events as Google does, and answers its error shape', async () => {
    const { access_token } = (await (await token()).json()) as { access_token: string };
    const status = async (body: unknown) => {
      const res = await ingest(access_token, body);
      return [res.status, ((await res.json()) as { error?: { status: string } }).error?.status];
    };
    expect(await status(request([event({ adIdentifiers: {} })]))).toEqual([400, 'INVALID_ARGUMENT']);
    expect(await status(request([event({ eventTimestamp: '2026-12-01 10:00:00' })]))).toEqual([400, 'INVALID_ARGUMENT']);
    expect(await status(request([event({ conversionValue: 10 })]))).toEqual([400, 'INVALID_ARGUMENT']);
    expect(await status(request([event()], { destinations: [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '9999999999' }, productDestinationId: '987' }] }))).toEqual([403, 'PERMISSION_DENIED']);
    expect(await status(request([event()], { destinations: [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, productDestinationId: '1' }] }))).toEqual([400, 'INVALID_ARGUMENT']);
    expect(await status(request(Array.from({ length: 2001 }, () => event())))).toEqual([400, 'INVALID_ARGUMENT']);
    google.expireTokens();
    expect(await status(request([event()]))).toEqual([401, 'UNAUTHENTICATED']);
    expect(google.ingested()).toEqual([]);
  });

  it('fails requests on demand and records validateOnly requests apart', async () => {
    const { access_token } = (await (await token()).json()) as { access_token: string };
    google.failNext({ status: 429, error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } });
    expect((await ingest(access_token, request([event()]))).status).toBe(429);
    expect((await ingest(access_token, request([event()], { validateOnly: true }))).status).toBe(200);
    expect(google.ingested()[0]!.validateOnly).toBe(true);
  });
});
