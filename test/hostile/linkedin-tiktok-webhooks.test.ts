import { signLinkedInBody } from '../../src/sources/linkedin/linkedin-webhook';
import { signTikTokBody } from '../../src/sources/tiktok/verify-tiktok-signature';
import { expectSafe, LINKEDIN_SECRET, nested, startHostileStack, TIKTOK_SECRET, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('linkedin-tiktok');
});
afterAll(async () => {
  await h.stop();
});

const notification = (id: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ type: 'LEAD_ACTION', leadGenFormResponse: `urn:li:leadGenFormResponse:${id}`, leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:1, 1)', leadAction: 'CREATED', occurredAt: 1, ...extra });
const linkedin = (name: string, body: string | Buffer, signature: string | undefined, status: number | number[], error?: string): HostileCase => ({
  name,
  status,
  error,
  request: { method: 'POST', path: '/v1/webhooks/linkedin', headers: [['Content-Type', 'application/json'], ...(signature === undefined ? [] : ([['X-LI-Signature', signature]] as Array<[string, string]>))], body },
});
const signedLinkedIn = (name: string, body: string | Buffer, status: number | number[], error?: string): HostileCase => linkedin(name, body, signLinkedInBody(body, LINKEDIN_SECRET), status, error);

describe('LinkedIn: validation GET', () => {
  const get = (query: string, status: number | number[]): HostileCase => ({ name: query.slice(0, 60) || '(none)', status, request: { method: 'GET', path: `/v1/webhooks/linkedin?${query}` } });
  it.each([
    get('challengeCode=890e4665-4dfe-4ab1-b689-ed553bceeed1', 200),
    get('', 400),
    get('challengeCode=', 400),
    get('challengeCode=%3Cscript%3E', 400),
    get('challengeCode=a%0D%0ASet-Cookie:x', 400),
    get(`challengeCode=${'a'.repeat(300)}`, 400),
    get('challengeCode[]=abc', 400),
    get('challengeCode=abc&challengeCode=def', [200, 400]),
  ])('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('LinkedIn: notification POST', () => {
  const body = notification('r-sig-1');
  const good = signLinkedInBody(body, LINKEDIN_SECRET);
  it.each([
    linkedin('no signature', body, undefined, 401, 'signature_missing'),
    linkedin('an empty signature', body, '', 401),
    linkedin('hmacsha256= prefix in the header', body, `hmacsha256=${good}`, 403, 'signature_invalid'),
    linkedin('HMAC of the body without the hmacsha256= prefix', body, signLinkedInBody('', LINKEDIN_SECRET), 403),
    linkedin('one digit off', body, `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`, 403),
    linkedin('signed with another secret', body, signLinkedInBody(body, 'other-secret-0'), 403),
    linkedin('a 6 KB signature', body, 'a'.repeat(6000), 403),
    signedLinkedIn('truncated JSON', body.slice(0, 30), 400, 'malformed_webhook'),
    signedLinkedIn('an empty body', '', 400),
    signedLinkedIn('a JSON array', '[]', 400),
    signedLinkedIn('objects nested 5,000 deep', nested(5_000, 'object'), 400),
    signedLinkedIn('arrays nested 20,000 deep', nested(20_000, 'array'), 400),
    signedLinkedIn('a response URN of another kind', notification('x').replace('leadGenFormResponse:x', 'person:x'), 400),
    signedLinkedIn('a response id with CRLF', notification('a\r\nb'), 400),
    signedLinkedIn('a response id with a colon', notification('a:attempts'), 400),
    signedLinkedIn('a response id of 5,000 characters', notification('a'.repeat(5000)), 400),
    signedLinkedIn('an unknown leadAction', notification('r-2', { leadAction: 'UPDATED' }), 400),
    signedLinkedIn('another notification type', JSON.stringify({ type: 'ORGANIZATION_SOCIAL_ACTION' }), 200),
    signedLinkedIn('__proto__ keys', `{"__proto__":{"leadGenFormResponse":"urn:li:leadGenFormResponse:p"},"type":"LEAD_ACTION"}`, 400),
    signedLinkedIn('a body over 64 KB', notification('r-3', { pad: 'x'.repeat(70_000) }), 413),
    signedLinkedIn('a valid notification', notification('r-ok-1'), 200),
  ])('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('TikTok: lead delivery', () => {
  const lead = (id: string) => `{"id":${id},"changes":[{"field":"email","value":"a@example.com"}]}`;
  const batch = (...entries: string[]) => `{"entry":[${entries.join(',')}]}`;
  const tiktok = (name: string, body: string | Buffer, signature: string | undefined, status: number | number[], error?: string): HostileCase => ({
    name,
    status,
    error,
    request: { method: 'POST', path: '/v1/webhooks/tiktok', headers: [['Content-Type', 'application/json'], ...(signature === undefined ? [] : ([['TikTok-Signature', signature]] as Array<[string, string]>))], body },
  });
  const signed = (name: string, body: string | Buffer, status: number | number[], error?: string) => tiktok(name, body, signTikTokBody(body, TIKTOK_SECRET), status, error);
  const body = batch(lead('7301234567890123456'));
  const good = signTikTokBody(body, TIKTOK_SECRET);
  it.each([
    tiktok('no signature', body, undefined, 401, 'signature_missing'),
    tiktok('only s=', body, good.split(',')[1], 403, 'signature_invalid'),
    tiktok('parts swapped', body, good.split(',').reverse().join(','), [200, 403]),
    tiktok('another secret', body, signTikTokBody(body, 'other-secret-0'), 403),
    tiktok('a timestamp an hour old', body, signTikTokBody(body, TIKTOK_SECRET, Math.floor(Date.now() / 1000) - 3600), 403, 'timestamp_stale'),
    tiktok('the timestamp changed after signing', body, good.replace(/t=(\d+)/, (_m, t: string) => `t=${Number(t) + 1}`), 403, 'signature_invalid'),
    tiktok('a 6 KB signature', body, `t=1,s=${'a'.repeat(6000)}`, 403),
    signed('truncated JSON', body.slice(0, 20), 400, 'malformed_webhook'),
    signed('no entries', '{"entry":[]}', 400),
    signed('entry not an array', '{"entry":{}}', 400),
    signed('a lead id that is not digits', batch('"12a"'.replace('"12a"', '{"id":"12a","changes":[]}')), 400),
    signed('a lead id of 40 digits', batch(lead('1'.repeat(40))), 400),
    signed('a negative lead id', batch(lead('-5')), 400),
    signed('changes not an array', batch('{"id":1,"changes":"x"}'), 400),
    signed('a change without a field', batch('{"id":2,"changes":[{"value":"x"}]}'), 400),
    signed('objects nested 5,000 deep', nested(5_000, 'object'), 400),
    signed('1,001 leads', batch(...Array.from({ length: 1001 }, (_, i) => lead(String(8000000000000000000n + BigInt(i))))), 400),
    signed('a body over 2 MB', `{"entry":[],"pad":"${'x'.repeat(2_200_000)}"}`, 413),
    signed('the same lead twice in one batch', batch(lead('7301234567890123499'), lead('7301234567890123499')), 200),
    signed('a valid batch', body, 200),
  ])('$name', async (c) => {
    await expectSafe(h, c);
  });
});
