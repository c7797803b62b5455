import { expectSafe, json, nested, partnerAuth, PROTO_NAMES, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('partner');
});
afterAll(async () => {
  await h.stop();
});

const AUTH = partnerAuth();
const LEAD = { contact: { email: 'jane@example.com' } };
const post = (name: string, body: unknown, status: number | number[], headers: Array<[string, string]> = [AUTH], path = '/v1/partners/leads'): HostileCase => ({
  name,
  status,
  request: json('POST', path, body, headers),
});

describe('partner authentication', () => {
  const cases: HostileCase[] = [
    post('no key', LEAD, 401, []),
    post('a wrong key', LEAD, 401, [['Authorization', 'Bearer lgp_wrong']]),
    post('lower-case bearer', LEAD, 202, [['Authorization', AUTH[1].replace('Bearer', 'bearer')]]),
    post('the key with trailing junk', LEAD, 401, [['Authorization', `${AUTH[1]} x`]]),
    post('an 8 KB key', LEAD, [401, 431], [['Authorization', `Bearer ${'k'.repeat(8000)}`]]),
    post('a key with a NUL escape', LEAD, 401, [['Authorization', 'Bearer a%00b']]),
    post('the key in the query instead', LEAD, 401, [], `/v1/partners/leads?key=${encodeURIComponent(AUTH[1])}`),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('POST /v1/partners/leads', () => {
  const cases: HostileCase[] = [
    post('a valid lead', LEAD, 202),
    post('truncated JSON', '{"contact":{"email":"jane@', 400),
    post('objects nested 3,000 deep', `{"contact":{"email":"jane@example.com"},"custom":${nested(3000, 'object')}}`, [400, 413, 422]),
    post('arrays nested 10,000 deep', `{"contact":${nested(10_000, 'array')}}`, [400, 413, 422]),
    post('an array instead of an object', [LEAD], 422),
    post('null', 'null', [400, 422]),
    post('an unknown property', { ...LEAD, extra: 1 }, 422),
    post('__proto__ as a property', `{"contact":{"email":"jane@example.com"},"__proto__":{"x":1}}`, 422),
    post('constructor as a property', { ...LEAD, constructor: 'x' }, 422),
    post('__proto__ inside contact', `{"contact":{"email":"jane@example.com","__proto__":{"phone":"+4930123456"}}}`, 422),
    post('no contact detail', { contact: { full_name: 'Jane' } }, 422),
    post('a junk phone only', { contact: { phone: '-----' } }, 422),
    post('10,000 digits as the phone', { contact: { phone: '1'.repeat(10_000) } }, [413, 422]),
    post('a CRLF in external_ref', { ...LEAD, external_ref: 'ref\r\n1' }, [202, 422]),
    post('a colon in external_ref', { ...LEAD, external_ref: 'ref:1:attempts' }, [202, 422]),
    post('21 custom keys', { ...LEAD, custom: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }, 422),
    post('a custom key that is not a name', { ...LEAD, custom: { '../x': 'v' } }, 422),
    post('a custom object value', { ...LEAD, custom: { a: { b: 1 } } }, 422),
    post('a body over the 16 KB limit', { ...LEAD, comments: 'c'.repeat(17_000) }, 413),
    post('the same key twice', '{"contact":{"email":"nobody"},"contact":{"email":"jane@example.com"}}', 202),
    post('a name with replacement patterns', { contact: { email: 'jane@example.com', full_name: "$& $' $`" } }, 202),
    { name: 'no content type', status: 415, request: { method: 'POST', path: '/v1/partners/leads', headers: [AUTH], body: JSON.stringify(LEAD) } },
    { name: 'urlencoded', status: 415, request: { method: 'POST', path: '/v1/partners/leads', headers: [AUTH, ['Content-Type', 'application/x-www-form-urlencoded']], body: 'contact[email]=x' } },
    { name: 'an Idempotency-Key of 5,000 characters', status: [202, 400], request: json('POST', '/v1/partners/leads', LEAD, [AUTH, ['Idempotency-Key', 'k'.repeat(5000)]]) },
    { name: 'an Idempotency-Key with a colon', status: [202, 400], request: json('POST', '/v1/partners/leads', LEAD, [AUTH, ['Idempotency-Key', 'a:b:c']]) },
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });

  it.each(PROTO_NAMES.filter((n) => /^[A-Za-z]/.test(n)).map((name) => ({ name })))('custom key $name keeps its value (finding 17)', async ({ name }) => {
    const answer = await expectSafe(h, post(`custom ${name}`, { ...LEAD, custom: { [name]: `value of ${name}` } }, 202));
    const lead = await h.lead((JSON.parse(answer.body) as { id: string }).id);
    expect(lead.extras).toContainEqual({ label: name.replace(/_+/g, ' '), value: `value of ${name}` });
  });
});

describe('POST /v1/partners/leads/batch', () => {
  const batch = (name: string, body: unknown, status: number | number[]): HostileCase => post(name, body, status, [AUTH], '/v1/partners/leads/batch');
  const cases: HostileCase[] = [
    batch('a valid batch', { leads: [LEAD, LEAD] }, 202),
    batch('some invalid items', { leads: [LEAD, { contact: {} }] }, 207),
    batch('101 leads', { leads: Array.from({ length: 101 }, () => LEAD) }, 422),
    batch('an empty batch', { leads: [] }, 422),
    batch('leads not an array', { leads: {} }, 422),
    batch('a bare array', [LEAD], 422),
    batch('an extra property', { leads: [LEAD], x: 1 }, 422),
    batch('__proto__ next to leads', `{"leads":[{"contact":{"email":"jane@example.com"}}],"__proto__":{"leads":[]}}`, 422),
    batch('every item invalid', { leads: [{}, { contact: { phone: '.....' } }, null, 'x'] }, [207, 422]),
    batch('100,000 small items', `{"leads":[${Array.from({ length: 100_000 }, () => '1').join(',')}]}`, [413, 422]),
    batch('a batch over 2 MB', { leads: [{ ...LEAD, comments: 'c'.repeat(2_200_000) }] }, 413),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('GET /v1/partners/leads/:id', () => {
  const get = (name: string, path: string, status: number | number[]): HostileCase => ({ name, status, request: { method: 'GET', path, headers: [AUTH] } });
  const cases: HostileCase[] = [
    get('a lead id with :attempts', '/v1/partners/leads/lg_0123456789abcdef0123456789abcdef:attempts', [400, 404]),
    get('a bad escape', '/v1/partners/leads/%', 400),
    get('a traversal', '/v1/partners/leads/..%2F..%2Fhealthz', 404),
    get('an unknown id', '/v1/partners/leads/lg_0123456789abcdef0123456789abcdef', 404),
    get('constructor', '/v1/partners/leads/constructor', 404),
    get('a glob', '/v1/partners/leads/*', 404),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});
