import { ADMIN_TOKEN, expectSafe, json, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
let leadId: string;
beforeAll(async () => {
  h = await startHostileStack('leads-ops');
  const answer = await expectSafe(h, { name: 'a real lead', status: 202, request: json('POST', '/v1/forms/open', { email: 'jane@example.com' }) });
  leadId = (JSON.parse(answer.body) as { id: string }).id;
});
afterAll(async () => {
  await h.stop();
});

const ADMIN: [string, string] = ['Authorization', `Bearer ${ADMIN_TOKEN}`];
const get = (path: string, headers: Array<[string, string]> = [ADMIN]): HostileCase['request'] => ({ method: 'GET', path, headers });

describe('GET /v1/leads/:id with ids that are not lead ids (finding 16)', () => {
  const suffixes = [':attempts', ':status', ':x', '%3Aattempts', ':', '*', '%2A', '[a-z]*', '%3F', '%00', '%0D%0Ax', '..', '..%2F..%2Fetc%2Fpasswd', '%20', '%09'];
  it.each(suffixes.map((suffix) => ({ suffix })))('<id>$suffix', async ({ suffix }) => {
    await expectSafe(h, { name: suffix, status: [400, 404], request: get(`/v1/leads/${leadId}${suffix}`) });
  });

  const ids = ['x', 'lg_', 'lg_zzzz', '12345', `${'a'.repeat(5000)}`, '%', '%E0%A4%A', 'constructor', '__proto__', 'lg_0123456789abcdef0123456789abcdef0'];
  it.each(ids.map((id) => ({ id: id.slice(0, 40), path: `/v1/leads/${id}` })))('$id', async ({ id, path }) => {
    await expectSafe(h, { name: id, status: [400, 404], request: get(path) });
  });

  it('the lead itself is found', async () => {
    await expectSafe(h, { name: 'own id', status: 200, request: get(`/v1/leads/${leadId}`) });
  });
});

describe('admin authentication', () => {
  const cases: HostileCase[] = [
    { name: 'no token', status: 401, error: 'unauthorized', request: get(`/v1/leads/${'lg_'}x`, []) },
    { name: 'a wrong token', status: 401, request: get('/v1/leads/x', [['Authorization', 'Bearer nope']]) },
    { name: 'the token without Bearer', status: 401, request: get('/v1/leads/x', [['Authorization', ADMIN_TOKEN]]) },
    { name: 'Basic auth', status: 401, request: get('/v1/leads/x', [['Authorization', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`]]) },
    { name: 'a 6 KB token', status: 401, request: get('/v1/leads/x', [['Authorization', `Bearer ${'t'.repeat(6000)}`]]) },
    { name: 'Bearer with only spaces', status: 401, request: get('/v1/leads/x', [['Authorization', 'Bearer    ']]) },
    { name: 'two Authorization headers', status: [400, 401], request: get('/v1/leads/x', [['Authorization', 'Bearer nope'], ADMIN]) },
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('operations endpoints', () => {
  const cases: HostileCase[] = [
    { name: '/healthz', status: 200, request: get('/healthz', []) },
    { name: '/readyz', status: 200, request: get('/readyz', []) },
    { name: '/metrics', status: 200, request: get('/metrics', []) },
    { name: '/healthz with a query', status: 200, request: get('/healthz?__proto__[x]=1&a[b][c]=d', []) },
    { name: 'POST /healthz', status: 404, request: json('POST', '/healthz', {}) },
    { name: '/metrics with a huge query', status: 200, request: get(`/metrics?${'a=1&'.repeat(1500)}`, []) },
    { name: 'an unknown path', status: 404, error: 'not_found', request: get('/v1/nothing', []) },
    { name: 'a traversal to a file', status: 404, request: get('/../../../../etc/passwd', []) },
    { name: 'an escaped traversal', status: 404, request: get('/%2e%2e/%2e%2e/etc/passwd', []) },
    { name: 'a bad escape in an unknown path', status: [400, 404], request: get('/%', []) },
    { name: 'the server-wide asterisk', status: [400, 404], request: { method: 'OPTIONS', path: '*' } },
    { name: 'HEAD /healthz', status: 200, request: { method: 'HEAD', path: '/healthz' } },
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});
