/**
 * The console's sign-in and session rules over plain HTTP: cookie attributes, CSRF tokens, CSP,
 * session expiry in Redis, sign-out and the sign-in rate limit.
 */
import IORedis from 'ioredis';
import { SHARED_REDIS_URL } from '../helpers/redis';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
const redis = new IORedis(SHARED_REDIS_URL);

beforeAll(async () => {
  stack = await startStack('console-session', { role: 'api', overrides: { http: { trustProxy: 'loopback' }, admin: { sessionTtlSeconds: 600 } } });
});
afterAll(async () => {
  await stack.stop();
  redis.disconnect();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function signIn(headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string; csrf: string }> {
  const answer = await fetch(`${stack.api.url}/admin/login`, {
    method: 'POST', redirect: 'manual', body: form({ token: 'admin-secret' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  expect(answer.status).toBe(303);
  const setCookie = answer.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const page = await (await fetch(`${stack.api.url}/admin/leads`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  return { cookie, setCookie, csrf };
}

function post(path: string, cookie: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${stack.api.url}${path}`, { method: 'POST', redirect: 'manual', body: form(fields), headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
}

describe('console sign-in and sessions', () => {
  it('sends pages without a session to the sign-in page, under a CSP that allows only its own script and style', async () => {
    const answer = await fetch(`${stack.api.url}/admin/dead-letters`, { redirect: 'manual' });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/admin/login');
    const login = await fetch(`${stack.api.url}/admin/login`);
    const csp = login.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(await login.text()).not.toMatch(/<script>|<style>| on[a-z]+="/);
  });

  it('gives an HttpOnly, SameSite=Strict cookie, Secure when the request came over TLS, backed by a Redis session with a TTL', async () => {
    const plain = await signIn();
    expect(plain.setCookie).toMatch(/HttpOnly/i);
    expect(plain.setCookie).toMatch(/SameSite=Strict/i);
    expect(plain.setCookie).toMatch(/Path=\/admin/);
    expect(plain.setCookie).not.toMatch(/Secure/i);
    expect((await signIn({ 'x-forwarded-proto': 'https' })).setCookie).toMatch(/; Secure/i);

    const keys = await redis.keys(`${stack.prefix}:console:session:*`);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    // Redis holds a hash of the cookie's id, never the id itself.
    const id = decodeURIComponent(plain.cookie.split('=')[1]!);
    expect(keys.some((k) => k.includes(id))).toBe(false);
    // admin.sessionTtlSeconds: the idle expiry, restarted by every request.
    for (const key of keys) expect(await redis.ttl(key)).toBeGreaterThan(500);
    for (const key of keys) expect(await redis.ttl(key)).toBeLessThanOrEqual(600);
  });

  it('refuses an action without the session or without its CSRF token', async () => {
    const { cookie, csrf } = await signIn();
    expect(csrf.length).toBeGreaterThan(20);
    const noSession = await post('/admin/destinations/main/resume', '', { csrf });
    expect(noSession.status).toBe(401);
    expect(((await noSession.json()) as { error: string }).error).toBe('session_required');
    for (const fields of [{}, { csrf: 'forged' }] as Array<Record<string, string>>) {
      const refused = await post('/admin/destinations/main/resume', cookie, fields);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toBe('csrf_failed');
    }
    expect((await post('/admin/destinations/main/resume', cookie, { csrf })).status).toBe(303);
    expect((await post('/admin/destinations/nowhere/resume', cookie, { csrf })).status).toBe(404);
    // The resume went to the audit log, which expires in its own time.
    expect(await redis.lrange(`${stack.prefix}:console:audit`, 0, -1)).toEqual(expect.arrayContaining([expect.stringContaining('"action":"resume"')]));
    expect(await redis.ttl(`${stack.prefix}:console:audit`)).toBeGreaterThan(0);
  });

  it('ends the session on sign-out', async () => {
    const { cookie, csrf } = await signIn();
    expect((await post('/admin/logout', cookie, { csrf })).status).toBe(303);
    const after = await fetch(`${stack.api.url}/admin/leads`, { redirect: 'manual', headers: { cookie } });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/admin/login');
  });

  it('slows down token guessing: the eleventh sign-in in 15 minutes from one address is refused with 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      const answer = await post('/admin/login', '', { token: `guess-${i}` });
      statuses.push(answer.status);
    }
    // Earlier specs signed in five times from this address.
    expect(statuses.filter((s) => s === 401).length).toBeLessThan(11);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('a gateway without an admin token', () => {
  it('has no console: /admin/ answers 404 admin_disabled', async () => {
    const closed = await startStack('console-disabled', { role: 'api', overrides: { admin: { token: '' } } });
    try {
      const answer = await fetch(`${closed.api.url}/admin/login`);
      expect(answer.status).toBe(404);
      expect(((await answer.json()) as { error: string }).error).toBe('admin_disabled');
    } finally {
      await closed.stop();
    }
  });
});
