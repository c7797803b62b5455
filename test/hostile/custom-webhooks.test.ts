import { createHmac } from 'node:crypto';
import { expectSafe, HOOK_TOKEN, nested, PROTO_NAMES, startHostileStack, TYPEFORM_SECRET, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('custom-webhooks');
});
afterAll(async () => {
  await h.stop();
});

const typeformSig = (body: string | Buffer, secret = TYPEFORM_SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('base64')}`;
const typeform = (name: string, body: string | Buffer, signature: string | undefined, status: number | number[], error?: string): HostileCase => ({
  name,
  status,
  error,
  request: {
    method: 'POST',
    path: '/v1/webhooks/custom/typeform',
    headers: [['Content-Type', 'application/json'], ...(signature === undefined ? [] : ([['Typeform-Signature', signature]] as Array<[string, string]>))],
    body,
  },
});
const signedTypeform = (name: string, body: string | Buffer, status: number | number[], error?: string): HostileCase => typeform(name, body, typeformSig(body), status, error);
const response = (token: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ event_id: `e-${token}`, event_type: 'form_response', form_response: { token, answers: [{ type: 'email', email: 'jane@example.com', field: { id: 'a', ref: 'email_ref' } }], ...extra } });

const tilda = (name: string, query: string, body: string, status: number | number[], error?: string): HostileCase => ({
  name,
  status,
  error,
  request: { method: 'POST', path: `/v1/webhooks/custom/tilda${query}`, headers: [['Content-Type', 'application/x-www-form-urlencoded']], body },
});
const unbounce = (name: string, body: string, status: number | number[], error?: string): HostileCase => tilda(name, `?token=${HOOK_TOKEN}`, body, status, error);
const unbounceOf = (name: string, dataJson: string, status: number | number[], error?: string): HostileCase => {
  const c = unbounce(name, new URLSearchParams({ page_id: 'p', 'data.json': dataJson }).toString(), status, error);
  return { ...c, request: { ...c.request, path: c.request.path.replace('/tilda', '/unbounce') } };
};

describe('configured webhook: signatures (Typeform preset)', () => {
  const body = response('sig-1');
  const good = typeformSig(body);
  const cases: HostileCase[] = [
    typeform('no signature', body, undefined, 401, 'signature_missing'),
    typeform('an empty signature', body, '', 401, 'signature_missing'),
    typeform('hex instead of base64', body, `sha256=${createHmac('sha256', TYPEFORM_SECRET).update(body).digest('hex')}`, 403, 'signature_invalid'),
    typeform('no sha256= prefix', body, good.slice(7), 403, 'signature_invalid'),
    typeform('sha1 prefix', body, `sha1=${good.slice(7)}`, 403),
    typeform('one character off', body, `${good.slice(0, -2)}${good.endsWith('A=') ? 'B=' : 'A='}`, 403),
    typeform('truncated', body, good.slice(0, 20), 403),
    typeform('not base64', body, `sha256=${'*'.repeat(44)}`, 403),
    typeform('signed with another secret', body, typeformSig(body, 'another-secret-00'), 403),
    typeform('signed over other bytes', body, typeformSig(`${body} `), 403),
    typeform('a 6 KB signature', body, `sha256=${'A'.repeat(6000)}`, [403, 431]),
    typeform('the right signature', body, good, 200),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('configured webhook: signed bodies that are not submissions', () => {
  const cases: HostileCase[] = [
    signedTypeform('an empty body', '', 400, 'malformed_body'),
    signedTypeform('truncated JSON', response('t-1').slice(0, 40), 400, 'malformed_body'),
    signedTypeform('a JSON array', '[1,2,3]', 400, 'malformed_body'),
    signedTypeform('a JSON string', '"hello"', 400, 'malformed_body'),
    signedTypeform('no token (the id it deduplicates by)', JSON.stringify({ event_type: 'form_response', form_response: { answers: [] } }), 422, 'validation_failed'),
    signedTypeform('a token but no answers', JSON.stringify({ form_response: { token: 't-2' } }), 422, 'validation_failed'),
    signedTypeform('arrays nested 7,000 deep (past where a recursive parser overflows)', nested(7_000, 'array'), 400, 'malformed_body'),
    signedTypeform('arrays nested 20,000 deep (over the body limit)', nested(20_000, 'array'), 413),
    signedTypeform('objects nested 1,500 deep', nested(1_500, 'object'), 400, 'malformed_body'),
    signedTypeform('answers nested 40 deep', response('t-3', { answers: JSON.parse(nested(40, 'array', '{"type":"text","text":"x","field":{"ref":"r"}}')) }), [400, 422]),
    signedTypeform('the token twice with different values', `{"form_response":{"token":"a","token":"b","answers":[]}}`, 400),
    signedTypeform('invalid UTF-8', Buffer.concat([Buffer.from('{"form_response":{"tok'), Buffer.from([0xff, 0xfe]), Buffer.from('en":"x"}}')]), [400, 422]),
    signedTypeform('a token of 5,000 characters', response('t'.repeat(5000)), 200),
    signedTypeform('a body over the 16 KB limit', response('t-4', { pad: 'x'.repeat(20_000) }), 413, 'payload_too_large'),
    signedTypeform('10,000 answers', response('t-5', { answers: Array.from({ length: 10_000 }, (_, i) => ({ type: 'text', text: 'y', field: { ref: `r${i}` } })) }), 413),
    signedTypeform('another event type', JSON.stringify({ event_type: 'form_partial_response', form_response: { token: 't-6', answers: [] } }), 200),
    signedTypeform('a huge number as token', `{"form_response":{"token":${'9'.repeat(400)},"answers":[{"type":"email","email":"a@example.com","field":{"ref":"e"}}]}}`, [200, 422]),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });

  it.each(PROTO_NAMES.map((name) => ({ name })))('an answer whose ref is $name keeps its value', async ({ name }) => {
    const body = response(`proto-${name}`, { answers: [{ type: 'email', email: 'jane@example.com', field: { ref: 'e' } }, { type: 'text', text: `value of ${name}`, field: { ref: name } }] });
    const before = await h.jobCount();
    await expectSafe(h, signedTypeform(`ref ${name}`, body, 200));
    expect(await h.jobCount()).toBe(before + 1);
    const queued = (await h.waitingLeads()).find((l) => l.source.externalId === `proto-${name}`);
    expect(queued?.extras).toContainEqual({ label: name, value: `value of ${name}` });
  });
});

describe('configured webhook: tokens and form posts (Tilda, Unbounce presets)', () => {
  const submission = 'Name=Jane&Email=jane%40example.com&tranid=1%3A2&formid=form1';
  const cases: HostileCase[] = [
    tilda('no token', '', submission, 401, 'token_missing'),
    tilda('a wrong token', '?token=wrong-token-00000000', submission, 403, 'token_invalid'),
    tilda('the token twice', `?token=${HOOK_TOKEN}&token=${HOOK_TOKEN}`, submission, [401, 403]),
    tilda('the token as an array', `?token[]=${HOOK_TOKEN}`, submission, [401, 403]),
    tilda('an unknown webhook name', `?token=${HOOK_TOKEN}`.replace('?', '?x=1&'), submission, 200),
    { ...tilda('__proto__ as the name', `?token=${HOOK_TOKEN}`, submission, 404, 'source_disabled'), request: { ...tilda('', '', submission, 0).request, path: `/v1/webhooks/custom/__proto__?token=${HOOK_TOKEN}` } },
    { ...tilda('constructor as the name', `?token=${HOOK_TOKEN}`, submission, 404, 'source_disabled'), request: { ...tilda('', '', submission, 0).request, path: `/v1/webhooks/custom/constructor?token=${HOOK_TOKEN}` } },
    tilda('an empty form', `?token=${HOOK_TOKEN}`, '', 422),
    tilda('only the submission id', `?token=${HOOK_TOKEN}`, 'tranid=9%3A9', 422, 'validation_failed'),
    tilda('no tranid', `?token=${HOOK_TOKEN}`, 'Name=Jane&Email=jane%40example.com', 422, 'validation_failed'),
    tilda('1,000 fields', `?token=${HOOK_TOKEN}`, Array.from({ length: 1000 }, (_, i) => `f${i}=x`).join('&'), 413),
    tilda('broken percent-encoding', `?token=${HOOK_TOKEN}`, 'Name=%E0%A4%A&tranid=3%3A3&Email=jane%40example.com', [200, 400]),
    tilda('__proto__ and constructor fields', `?token=${HOOK_TOKEN}`, '__proto__=x&constructor=y&tranid=4%3A4&Email=jane%40example.com', 200),
    tilda('a COOKIES field with broken TILDAUTM', `?token=${HOOK_TOKEN}`, 'COOKIES=TILDAUTM%3D%25E0%25A4&tranid=5%3A5&Email=jane%40example.com', 200),
    unbounceOf('data.json that is not JSON', '{"name":', 400, 'malformed_body'),
    unbounceOf('data.json nested 1,000 deep', nested(1_000, 'object'), 400, 'malformed_body'),
    unbounceOf('data.json an array', '[]', 400, 'malformed_body'),
    { ...unbounce('no data.json', 'page_id=p&name=x', 400, 'malformed_body'), request: { ...unbounce('', 'page_id=p&name=x', 0).request, path: `/v1/webhooks/custom/unbounce?token=${HOOK_TOKEN}` } },
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});
