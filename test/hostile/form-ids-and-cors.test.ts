import { expectSafe, json, PROTO_NAMES, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('form-ids');
});
afterAll(async () => {
  await h.stop();
});

const BODY = { email: 'jane@example.com' };
const ORIGIN: [string, string] = ['Origin', 'https://www.example.com'];
const preflight = (path: string, origin = 'https://www.example.com'): HostileCase['request'] => ({
  method: 'OPTIONS',
  path,
  headers: [['Origin', origin], ['Access-Control-Request-Method', 'POST'], ['Access-Control-Request-Headers', 'content-type']],
});

describe('form ids named like Object.prototype members are unknown forms (finding 12)', () => {
  const ids = [...PROTO_NAMES, '__defineSetter__', '__lookupSetter__'];
  it.each(ids.map((id) => ({ id })))('POST /v1/forms/$id', async ({ id }) => {
    await expectSafe(h, { name: id, status: 404, error: 'unknown_form', request: json('POST', `/v1/forms/${id}`, BODY, [ORIGIN]) });
  });
  it.each(ids.map((id) => ({ id })))('OPTIONS /v1/forms/$id gets no CORS headers', async ({ id }) => {
    const answer = await expectSafe(h, { name: id, status: 404, error: 'unknown_form', request: preflight(`/v1/forms/${id}`) });
    expect(answer.headers.get('access-control-allow-origin')).toBeUndefined();
  });
});

describe('form ids that are not ids', () => {
  const cases: HostileCase[] = [
    { name: 'a lone percent sign', status: 400, error: 'malformed_path', request: json('POST', '/v1/forms/%', BODY) },
    { name: 'a truncated percent escape', status: 400, error: 'malformed_path', request: json('POST', '/v1/forms/%E0%A4%A', BODY) },
    { name: 'an escape of invalid UTF-8', status: 400, error: 'malformed_path', request: json('POST', '/v1/forms/%C3%28', BODY) },
    { name: 'an escaped lone surrogate', status: 400, request: json('POST', '/v1/forms/%ED%A0%80', BODY) },
    { name: 'OPTIONS with a bad escape', status: 400, request: preflight('/v1/forms/%zz') },
    { name: 'GET thanks page with a bad escape', status: 400, request: { method: 'GET', path: '/v1/forms/%/thanks' } },
    { name: 'an escaped path traversal', status: 404, request: json('POST', '/v1/forms/..%2F..%2Fetc%2Fpasswd', BODY) },
    { name: 'a dot-dot segment', status: 404, request: json('POST', '/v1/forms/../../etc/passwd', BODY) },
    { name: 'an escaped NUL', status: 404, request: json('POST', '/v1/forms/contact%00', BODY) },
    { name: 'an escaped CRLF with a header after it', status: 404, request: json('POST', '/v1/forms/contact%0D%0ASet-Cookie:%20x=1', BODY) },
    { name: 'a 4,000-character id', status: 404, request: json('POST', `/v1/forms/${'f'.repeat(4000)}`, BODY) },
    { name: 'a unicode id', status: 404, request: json('POST', '/v1/forms/%E2%9C%93', BODY) },
    { name: 'the id in another case', status: 404, request: json('POST', '/v1/forms/CONTACT', BODY, [ORIGIN]) },
    { name: 'an empty id', status: 404, request: json('POST', '/v1/forms/', BODY) },
    { name: 'a double slash', status: 404, request: json('POST', '/v1/forms//contact', BODY) },
    { name: 'a query-only path', status: 404, request: json('POST', '/v1/forms?x=1', BODY) },
    { name: 'GET on a form', status: 404, request: { method: 'GET', path: '/v1/forms/contact' } },
    { name: 'PUT on a form', status: 404, request: json('PUT', '/v1/forms/contact', BODY) },
    { name: 'DELETE on a form', status: 404, request: { method: 'DELETE', path: '/v1/forms/contact' } },
    { name: 'an unknown method', status: [400, 404], request: { method: 'BREW', path: '/v1/forms/contact' } },
    { name: 'the thanks page of an unknown form', status: 200, request: { method: 'GET', path: '/v1/forms/constructor/thanks' } },
    { name: 'an absolute URL as the target', status: [202, 400, 404], request: { ...json('POST', 'http://127.0.0.1/v1/forms/open', BODY) } },
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('Origin checks', () => {
  const cases: HostileCase[] = [
    { name: 'an allowed origin', status: 202, request: json('POST', '/v1/forms/contact', BODY, [ORIGIN]) },
    { name: 'another origin', status: 403, error: 'origin_not_allowed', request: json('POST', '/v1/forms/contact', BODY, [['Origin', 'https://evil.example']]) },
    { name: 'the origin "null"', status: 403, request: json('POST', '/v1/forms/contact', BODY, [['Origin', 'null']]) },
    { name: 'an allowed origin with a trailing slash', status: 403, request: json('POST', '/v1/forms/contact', BODY, [['Origin', 'https://www.example.com/']]) },
    { name: 'an allowed origin over http', status: 403, request: json('POST', '/v1/forms/contact', BODY, [['Origin', 'http://www.example.com']]) },
    { name: 'a suffix of the allowed origin', status: 403, request: json('POST', '/v1/forms/contact', BODY, [['Origin', 'https://www.example.com.evil.test']]) },
    { name: 'two Origin headers', status: [202, 400, 403], request: json('POST', '/v1/forms/contact', BODY, [ORIGIN, ['Origin', 'https://evil.example']]) },
    { name: 'a preflight from another origin', status: 204, request: preflight('/v1/forms/contact', 'https://evil.example') },
    { name: 'a preflight with a huge request-headers list', status: 204, request: { ...preflight('/v1/forms/contact'), headers: [ORIGIN, ['Access-Control-Request-Headers', 'x,'.repeat(2000)]] } },
  ];
  it.each(cases)('$name', async (c) => {
    const answer = await expectSafe(h, c);
    if (c.name.includes('another origin')) expect(answer.headers.get('access-control-allow-origin')).toBeUndefined();
  });
});
