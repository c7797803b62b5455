import { createHmac } from 'node:crypto';
import type { WebhookAuth } from '../../../src/config/webhook-config';
import { resolvePointer } from '../../../src/sources/webhooks/json-pointer';
import { readWebhookBody, WebhookBodyError } from '../../../src/sources/webhooks/read-webhook-body';
import { signWebhookBody, verifyWebhookAuth, type AuthInput } from '../../../src/sources/webhooks/verify-webhook-auth';

const body = Buffer.from('{"email":"a@example.com","note":"äöå"}');
const input = (headers: Record<string, string>, query: Record<string, string> = {}, nowMs = 1_700_000_000_000): AuthInput => ({
  rawBody: body,
  header: (name) => headers[name.toLowerCase()],
  query: (name) => query[name],
  nowMs,
});

describe('verifyWebhookAuth', () => {
  const hex: Extract<WebhookAuth, { type: 'hmac' }> = { type: 'hmac', secret: 'shh-secret', header: 'X-Sig', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' };

  it('accepts the HMAC of the raw bytes, hex in either case, and refuses anything else', () => {
    const good = signWebhookBody(hex, body);
    expect(verifyWebhookAuth(hex, input({ 'x-sig': good }))).toEqual({ ok: true });
    expect(verifyWebhookAuth(hex, input({ 'x-sig': `SHA256=${good.slice(7).toUpperCase()}` }))).toEqual({ ok: true });
    expect(verifyWebhookAuth(hex, input({}))).toMatchObject({ ok: false, status: 401, code: 'signature_missing' });
    expect(verifyWebhookAuth(hex, input({ 'x-sig': good.slice(7) }))).toMatchObject({ ok: false, status: 403, code: 'signature_invalid' });
    expect(verifyWebhookAuth(hex, input({ 'x-sig': `${good}0` }))).toMatchObject({ code: 'signature_invalid' });
    // Signed over other bytes (the same JSON with other spacing): refused.
    const spaced = `sha256=${createHmac('sha256', 'shh-secret').update(JSON.stringify(JSON.parse(body.toString()), null, 1)).digest('hex')}`;
    expect(verifyWebhookAuth(hex, input({ 'x-sig': spaced }))).toMatchObject({ code: 'signature_invalid' });
    expect(verifyWebhookAuth({ ...hex, secret: '' }, input({ 'x-sig': good }))).toMatchObject({ code: 'signature_invalid' });
  });

  it('with a timestamp, signs "<ts><sep><body>" and refuses stale or future times', () => {
    const auth: Extract<WebhookAuth, { type: 'hmac' }> = { ...hex, prefix: '', timestamp: { header: 'X-Ts', separator: ':', toleranceSeconds: 300, unit: 'ms' } };
    const now = 1_700_000_000_000;
    const at = (ts: number) => input({ 'x-ts': String(ts), 'x-sig': signWebhookBody(auth, body, String(ts)) }, {}, now);
    expect(verifyWebhookAuth(auth, at(now - 299_000))).toEqual({ ok: true });
    expect(verifyWebhookAuth(auth, at(now - 301_000))).toMatchObject({ code: 'timestamp_stale' });
    expect(verifyWebhookAuth(auth, at(now + 301_000))).toMatchObject({ code: 'timestamp_stale' });
    expect(verifyWebhookAuth(auth, input({ 'x-sig': signWebhookBody(auth, body, String(now)) }, {}, now))).toMatchObject({ status: 401 });
    expect(verifyWebhookAuth(auth, input({ 'x-ts': String(now + 1), 'x-sig': signWebhookBody(auth, body, String(now)) }, {}, now))).toMatchObject({ code: 'signature_invalid' });
  });

  it('checks base64 signatures strictly', () => {
    const auth: Extract<WebhookAuth, { type: 'hmac' }> = { ...hex, encoding: 'base64' };
    const good = signWebhookBody(auth, body);
    expect(verifyWebhookAuth(auth, input({ 'x-sig': good }))).toEqual({ ok: true });
    expect(verifyWebhookAuth(auth, input({ 'x-sig': good.replace('=', '') }))).toMatchObject({ code: 'signature_invalid' });
  });

  it('takes a token from the header or the query, whichever is configured', () => {
    const auth: WebhookAuth = { type: 'token', token: 'a-long-shared-token', header: 'X-Key', query: 'token' };
    expect(verifyWebhookAuth(auth, input({ 'x-key': 'a-long-shared-token' }))).toEqual({ ok: true });
    expect(verifyWebhookAuth(auth, input({}, { token: 'a-long-shared-token' }))).toEqual({ ok: true });
    expect(verifyWebhookAuth(auth, input({}, {}))).toMatchObject({ status: 401, code: 'token_missing' });
    expect(verifyWebhookAuth(auth, input({}, { token: 'a-long-shared-tokeN' }))).toMatchObject({ status: 403, code: 'token_invalid' });
    expect(verifyWebhookAuth({ type: 'token', token: 'a-long-shared-token', header: 'X-Key' }, input({}, { token: 'a-long-shared-token' }))).toMatchObject({ code: 'token_missing' });
  });
});

describe('resolvePointer (RFC 6901)', () => {
  const doc = { a: { 'b/c': [10, { 'd~e': 'x' }] }, '': 'empty key' };
  it('follows escaped segments and array indexes, own properties only', () => {
    expect(resolvePointer(doc, '/a/b~1c/1/d~0e')).toBe('x');
    expect(resolvePointer(doc, '/a/b~1c/0')).toBe(10);
    expect(resolvePointer(doc, '/')).toBe('empty key');
    expect(resolvePointer(doc, '/a/b~1c/01')).toBeUndefined();
    expect(resolvePointer(doc, '/a/constructor')).toBeUndefined();
    expect(resolvePointer(doc, '/a/__proto__')).toBeUndefined();
    expect(resolvePointer(doc, '/a/b~1c/length')).toBeUndefined();
  });
});

describe('readWebhookBody', () => {
  it('keeps every digit of numbers beyond 2^53', () => {
    const values = readWebhookBody(Buffer.from('{"id":12345678901234567890,"n":1.5}'), { format: 'json' });
    expect(values.named.get('id')?.value).toBe('12345678901234567890');
    expect(values.named.get('n')?.value).toBe('1.5');
  });

  it('reads a JSON document inside a form field, and refuses one that is missing', () => {
    const form = new URLSearchParams({ 'data.json': '{"email":["a@example.com"]}', other: 'x' }).toString();
    expect(readWebhookBody(Buffer.from(form), { format: 'urlencoded', jsonField: 'data.json' }).named.get('email')?.value).toBe('a@example.com');
    expect(() => readWebhookBody(Buffer.from('other=x'), { format: 'urlencoded', jsonField: 'data.json' })).toThrow(WebhookBodyError);
  });

  it('keeps form fields named like Object.prototype members', () => {
    const values = readWebhookBody(Buffer.from('__proto__=a&constructor=b&toString=c'), { format: 'urlencoded' });
    expect([...values.named.keys()]).toEqual(['__proto__', 'constructor', 'toString']);
  });
});
