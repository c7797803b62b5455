import { signMetaBody } from '../../src/sources/meta/verify-signature';
import { expectSafe, GOOGLE_KEY, json, META_PAGE, META_SECRET, META_VERIFY, nested, PROTO_NAMES, signedMeta, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('webhooks');
});
afterAll(async () => {
  await h.stop();
});

const leadgen = (ids: string[]): string =>
  JSON.stringify({ object: 'page', entry: [{ id: META_PAGE, time: 1, changes: ids.map((id) => ({ field: 'leadgen', value: { leadgen_id: id, page_id: META_PAGE, form_id: '1', created_time: 1 } })) }] });

describe('Meta subscription handshake (GET)', () => {
  const verify = (query: string, status: number | number[]): HostileCase => ({ name: query.slice(0, 60) || '(none)', status, request: { method: 'GET', path: `/v1/webhooks/meta?${query}` } });
  const cases: HostileCase[] = [
    verify(`hub.mode=subscribe&hub.verify_token=${META_VERIFY}&hub.challenge=12345`, 200),
    verify('', 403),
    verify(`hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`, 403),
    verify(`hub.mode=unsubscribe&hub.verify_token=${META_VERIFY}&hub.challenge=1`, 403),
    verify(`hub.mode=subscribe&hub.verify_token=${META_VERIFY}&hub.challenge=%3Cscript%3E`, 403),
    verify(`hub.mode=subscribe&hub.verify_token=${META_VERIFY}&hub.challenge=${'9'.repeat(300)}`, 403),
    verify(`hub.mode=subscribe&hub.verify_token=${META_VERIFY}&hub.challenge=a%0D%0ASet-Cookie:x`, 403),
    verify(`hub.mode=subscribe&hub.mode=subscribe&hub.verify_token=${META_VERIFY}&hub.challenge=1`, [200, 403]),
    verify(`hub.mode[]=subscribe&hub.verify_token[x]=${META_VERIFY}&hub.challenge=1`, 403),
    verify(`__proto__[hub.mode]=subscribe&hub.verify_token=${META_VERIFY}&hub.challenge=1`, 403),
    verify(`hub.mode=subscribe&hub.verify_token=%&hub.challenge=1`, [400, 403]),
    verify(`hub.mode=subscribe&hub.verify_token=${'t'.repeat(8000)}&hub.challenge=1`, [403, 431]),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('Meta leadgen POST: signature edge cases', () => {
  const body = leadgen(['900000000000001']);
  const withSig = (name: string, signature: string | undefined, status: number, error?: string): HostileCase => ({
    name,
    status,
    error,
    request: { method: 'POST', path: '/v1/webhooks/meta', headers: [['Content-Type', 'application/json'], ...(signature === undefined ? [] : ([['X-Hub-Signature-256', signature]] as Array<[string, string]>))], body },
  });
  const good = signMetaBody(body, META_SECRET);
  const cases: HostileCase[] = [
    withSig('no signature', undefined, 401, 'signature_missing'),
    withSig('an empty signature', '', 401),
    withSig('sha1 instead of sha256', `sha1=${good.slice(7, 47)}`, 403, 'signature_invalid'),
    withSig('no algorithm prefix', good.slice(7), 403),
    withSig('upper-case hex', `sha256=${good.slice(7).toUpperCase()}`, 200),
    withSig('one digit off', `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`, 403),
    withSig('truncated', good.slice(0, 40), 403),
    withSig('too long', `${good}00`, 403),
    withSig('not hex', `sha256=${'z'.repeat(64)}`, 403),
    withSig('signed with another secret', signMetaBody(body, 'other-secret'), 403),
    withSig('signed over other bytes', signMetaBody(`${body} `, META_SECRET), 403),
    withSig('a 6 KB signature', `sha256=${'a'.repeat(6000)}`, 403),
    { name: 'two signature headers', status: [200, 403], request: { ...signedMeta(body), headers: [...signedMeta(body).headers!, ['X-Hub-Signature-256', 'sha256=00']] } },
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('Meta leadgen POST: signed bodies that are not leadgen notifications', () => {
  const signed = (name: string, body: string | Buffer, status: number | number[]): HostileCase => ({ name, status, request: signedMeta(body) });
  const cases: HostileCase[] = [
    signed('truncated JSON', leadgen(['1']).slice(0, 40), 400),
    signed('an empty body', '', 400),
    signed('arrays nested 20,000 deep', nested(20_000, 'array'), 400),
    signed('objects nested 5,000 deep', nested(5_000, 'object'), 400),
    signed('objects nested 100,000 deep', nested(100_000, 'object'), 400),
    signed('another object type', JSON.stringify({ object: 'user', entry: [] }), 200),
    signed('entry not an array', JSON.stringify({ object: 'page', entry: {} }), 400),
    signed('a leadgen_id that is not digits', leadgen(['12a']), 400),
    signed('a leadgen_id with CRLF', leadgen(['1\r\n2']), 400),
    signed('a leadgen_id with a colon', leadgen(['1:attempts']), 400),
    signed('a leadgen_id of 40 digits', leadgen(['1'.repeat(40)]), 400),
    signed('__proto__ as the entry', `{"object":"page","entry":[{"__proto__":{"id":"1"},"changes":[]}]}`, [200, 400]),
    signed('prototype keys in the value', `{"object":"page","entry":[{"id":"${META_PAGE}","time":1,"changes":[{"field":"leadgen","value":{"leadgen_id":"7","constructor":{},"__proto__":{}}}]}]}`, [200, 400]),
    signed('the same key twice', `{"object":"page","object":"page","entry":[]}`, [200, 400]),
    signed('invalid UTF-8', Buffer.concat([Buffer.from('{"object":"pa'), Buffer.from([0xff, 0xfe]), Buffer.from('ge","entry":[]}')]), [200, 400]),
    signed('1,001 changes in one entry', leadgen(Array.from({ length: 1001 }, (_, i) => String(800000000000000 + i))), [200, 400, 413]),
    signed('a body over 1 MB', `{"object":"page","pad":"${'x'.repeat(1_100_000)}","entry":[]}`, 413),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('Google lead form webhook', () => {
  const google = (name: string, body: unknown, status: number | number[], error?: string): HostileCase => ({ name, status, error, request: json('POST', '/v1/webhooks/google', body) });
  const lead = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    lead_id: id,
    google_key: GOOGLE_KEY,
    user_column_data: [{ column_id: 'EMAIL', string_value: 'jane@example.com' }],
    ...extra,
  });
  const cases: HostileCase[] = [
    google('a valid lead', lead('g-valid-1'), 200),
    google('the same lead again', lead('g-valid-1'), 200),
    google('no key', { ...lead('g-2'), google_key: undefined }, 403, 'invalid_key'),
    google('a wrong key', lead('g-3', { google_key: 'nope' }), 403),
    google('an empty key', lead('g-4', { google_key: '' }), 403),
    google('the key in another case of the name', { ...lead('g-5'), google_key: undefined, GOOGLE_KEY: GOOGLE_KEY }, 200),
    google('the key as a number', lead('g-6', { google_key: 12345 }), [400, 403]),
    google('no lead_id', { ...lead('x'), lead_id: undefined }, 400, 'malformed_lead'),
    google('a lead_id with CRLF', lead('g\r\n7'), [200, 400]),
    google('a lead_id with a colon', lead('g:7:attempts'), [200, 400]),
    google('a lead_id of 5,000 characters', lead('g'.repeat(5000)), [200, 400]),
    google('user_column_data not an array', lead('g-8', { user_column_data: {} }), 400),
    google('10,000 columns', lead('g-9', { user_column_data: Array.from({ length: 10_000 }, () => ({ column_id: 'X', string_value: 'y' })) }), [400, 413]),
    google('a column that is not an object', lead('g-10', { user_column_data: ['x'] }), 400),
    google('arrays nested 5,000 deep', `{"lead_id":"g-11","google_key":"${GOOGLE_KEY}","user_column_data":${nested(5000, 'array')}}`, [400, 413]),
    google('an int64 lead id as a number', `{"lead_id":"g-12","google_key":"${GOOGLE_KEY}","form_id":12345678901234567890,"user_column_data":[{"column_id":"EMAIL","string_value":"jane@example.com"}]}`, [200, 400]),
    google('truncated JSON', `{"lead_id":"g-13","google_key":"${GOOGLE_KEY}"`, 400),
    google('arrays nested 7,000 deep (past where a recursive parser overflows)', `{"lead_id":"g-15","google_key":"${GOOGLE_KEY}","user_column_data":${nested(7_000, 'array')}}`, 400, 'malformed_lead'),
    google('lead_id twice with different values', `{"lead_id":"g-16","lead_id":"g-17","google_key":"${GOOGLE_KEY}","user_column_data":[]}`, 400, 'malformed_lead'),
    google('the key only inside a __proto__ member', `{"lead_id":"g-18","__proto__":{"google_key":"${GOOGLE_KEY}"},"user_column_data":[]}`, [400, 403]),
    google('an id of 1e400', `{"lead_id":"g-19","google_key":"${GOOGLE_KEY}","form_id":1e400,"user_column_data":[{"column_id":"EMAIL","string_value":"jane@example.com"}]}`, [200, 400]),
    google('an id of 5,000 digits', `{"lead_id":"g-20","google_key":"${GOOGLE_KEY}","campaign_id":${'9'.repeat(5000)},"user_column_data":[{"column_id":"EMAIL","string_value":"jane@example.com"}]}`, [200, 400]),
    google('a junk phone only', lead('g-14', { user_column_data: [{ column_id: 'PHONE_NUMBER', string_value: '-----' }] }), [200, 400]),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });

  it.each(PROTO_NAMES.map((name) => ({ name })))('column_id $name keeps its value (finding 17)', async ({ name }) => {
    const before = await h.jobCount();
    await expectSafe(h, google(`column ${name}`, lead(`g-proto-${name}`, { user_column_data: [{ column_id: 'EMAIL', string_value: 'jane@example.com' }, { column_id: name, string_value: `value of ${name}` }] }), 200));
    expect(await h.jobCount()).toBe(before + 1);
    const queued = (await h.waitingLeads()).find((l) => l.source.externalId === `g-proto-${name}`);
    expect(queued?.extras).toContainEqual({ label: expect.any(String), value: `value of ${name}` });
  });
});
