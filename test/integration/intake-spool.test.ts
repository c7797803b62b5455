import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/**
 * The intake spool on a running API (its own redis-server): while Redis is away every submission is
 * written to the local journal and answered 202 `spooled`; once Redis is back the drainer queues each
 * under the id it was answered with, and each reaches the portal once.
 */
let redis: PrivateRedis;
let stack: Stack;
const admin = { authorization: 'Bearer admin-secret' };
const partner = generatePartnerKey();

beforeAll(async () => {
  redis = await startPrivateRedis();
  stack = await startStack('intake-spool', { redisUrl: redis.url, overrides: { sources: { partners: { acme: { keyHashes: [partner.hash] } } } } });
});

afterAll(async () => {
  await stack.stop();
  await redis.destroy();
});

const readyz = async () => (await fetch(`${stack.api.url}/readyz`)).json() as Promise<{ status: string; spool?: { leads: number; oldestSeconds: number } }>;
const deliveredCopies = (id: string) => stack.sim.leads().filter((l) => l.fields.ORIGIN_ID === id).length;

describe('the intake spool, with Redis stopped under a running API', () => {
  it('answers 202 spooled, shows the spool in /readyz, /metrics and the lead status, then delivers each lead once', async () => {
    await redis.stop('SIGKILL');
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      // Keyed and unkeyed: a key's binding is skipped while Redis is away, and the derived id still holds.
      const headers: Record<string, string> = n % 2 === 0 ? { 'idempotency-key': `spool-${n}-${Date.now()}` } : {};
      const response = await postJson(`${stack.api.url}/v1/forms/contact`, { email: `spooled${n}@example.com` }, headers);
      expect(response.status).toBe(202);
      const body = (await response.json()) as { id: string; status: string };
      expect(body.status).toBe('spooled');
      ids.push(body.id);
    }

    const ready = await readyz();
    expect(ready.status).toBe('degraded');
    expect(ready.spool).toMatchObject({ leads: 5 });
    const status = await fetch(`${stack.api.url}/v1/leads/${ids[0]}`, { headers: admin });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ id: ids[0], status: 'spooled', destination: 'main', source: 'form:contact' });
    const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(metrics).toMatch(/leadgate_spool_leads 5/);
    expect(metrics).toMatch(/leadgate_spool_spooled_total\{source="form"\} 5/);

    await redis.restart();
    await waitFor(() => ids.every((id) => deliveredCopies(id) >= 1), 'every spooled lead delivered', 30_000);
    await waitFor(async () => (await readyz()).status === 'ready', 'the spool drained', 10_000);
    const after = await (await fetch(`${stack.api.url}/v1/leads/${ids[0]}`, { headers: admin })).json();
    expect(after).toMatchObject({ status: expect.stringMatching(/queued|delivered/) });
    // Time for a second copy to show, were there one.
    await new Promise((r) => setTimeout(r, 1000));
    for (const id of ids) expect(deliveredCopies(id)).toBe(1);
    expect(await (await fetch(`${stack.api.url}/metrics`)).text()).toMatch(/leadgate_spool_drained_total 5/);
  });

  it('honours a partner key from config while Redis is away (console keys and revocations wait for Redis), and spools its lead', async () => {
    await redis.stop('SIGKILL');
    const send = (key: string) => postJson(`${stack.api.url}/v1/partners/leads`, { external_ref: `spool-ref-${Date.now()}`, contact: { email: 'partner.spooled@example.com' } }, { authorization: `Bearer ${key}` });
    const answer = await send(partner.key);
    expect(answer.status).toBe(202);
    const { id, status } = (await answer.json()) as { id: string; status: string };
    expect(status).toBe('spooled');
    // A key config does not know could only be a console key: unknowable without Redis, so refused.
    expect((await send(generatePartnerKey().key)).status).toBe(401);
    await redis.restart();
    await waitFor(() => deliveredCopies(id) >= 1, 'the partner lead delivered', 30_000);
    await waitFor(async () => (await readyz()).status === 'ready', 'the spool drained', 10_000);
    expect(deliveredCopies(id)).toBe(1);
  });

  it('takes a retry of a spooled submission (same Idempotency-Key) as the same lead once Redis is back', async () => {
    await redis.stop('SIGKILL');
    const key = `spool-retry-${Date.now()}`;
    const first = (await (await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'retry@example.com' }, { 'idempotency-key': key })).json()) as { id: string; status: string };
    expect(first.status).toBe('spooled');
    await redis.restart();
    const retry = (await (await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'retry@example.com' }, { 'idempotency-key': key })).json()) as { id: string };
    expect(retry.id).toBe(first.id);
    await waitFor(() => deliveredCopies(first.id) >= 1, 'the lead delivered', 30_000);
    await waitFor(async () => (await readyz()).status === 'ready', 'the spool drained', 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(deliveredCopies(first.id)).toBe(1);
  });
});
