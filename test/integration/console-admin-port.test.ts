/**
 * The console on a port of its own (admin.port): served only there, with the public server's address
 * in its snippets; and named operators' sessions, which end once the operator leaves config.
 */
import IORedis from 'ioredis';
import { ConsoleSessions } from '../../src/queue/console-sessions';
import { hashOperatorToken } from '../../src/shared/operator-tokens';
import { startStack, type Stack } from '../helpers/stack';

const BOB = 'bob-console-token-0123456789';

describe('the console on admin.port', () => {
  let stack: Stack;
  let adminUrl: string;
  let redis: IORedis;

  beforeAll(async () => {
    stack = await startStack('console-admin-port', {
      role: 'api',
      overrides: { admin: { port: 0, host: '127.0.0.1', operators: [{ name: 'bob', tokenHash: hashOperatorToken(BOB) }] } } as never,
    });
    adminUrl = stack.api.adminUrl!;
    redis = new IORedis(stack.config.redis.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  async function signIn(token: string): Promise<Response> {
    return fetch(`${adminUrl}/admin/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  it('serves the console only on its own port, and nothing else there', async () => {
    expect(adminUrl).toBeDefined();
    expect(adminUrl).not.toBe(stack.api.url);
    expect((await fetch(`${stack.api.url}/admin/login`)).status).toBe(404);
    expect((await fetch(`${adminUrl}/admin/login`)).status).toBe(200);
    const root = await fetch(`${adminUrl}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/admin/');
    expect((await fetch(`${adminUrl}/v1/forms/contact`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(404);
    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(404);
  });

  it('signs a named operator in beside the admin token, and shows the public server\'s address in snippets', async () => {
    expect(stack.config.admin.token).toBe('admin-secret');
    expect((await signIn('wrong-token')).status).toBe(401);
    const answer = await signIn(BOB);
    expect(answer.headers.get('location')).toBe('/admin/overview');
    const cookie = (answer.headers.get('set-cookie') ?? '').split(';')[0]!;
    const sources = await (await fetch(`${adminUrl}/admin/sources`, { headers: { cookie } })).text();
    expect(sources).toContain(`${stack.api.url}/v1/snippet.js`);
    const audit = await (await fetch(`${adminUrl}/admin/audit`, { headers: { cookie } })).text();
    expect(audit).toMatch(/<td>bob<\/td><td>sign-in<\/td>/);
    expect(audit).toMatch(/<td>unknown<\/td><td>sign-in<\/td><td class="mono"><\/td><td>refused<\/td>/);
  });

  it('ends the session of an operator who is no longer in config at its next request', async () => {
    const sessions = new ConsoleSessions(redis, stack.prefix, 600);
    const { id } = await sessions.create('carol');
    const answer = await fetch(`${adminUrl}/admin/overview`, { redirect: 'manual', headers: { cookie: `lg_console=${id}` } });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/admin/login');
  });
});
