import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { startLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

let redis: PrivateRedis;
let stack: Stack;

beforeAll(async () => {
  redis = await startPrivateRedis();
  // The spool off: what intake answers when it cannot store a lead at all (the spool's own spec is intake-spool.test.ts).
  stack = await startStack('redis-outage', { redisUrl: redis.url, overrides: { intake: { spool: { enabled: false } } } });
});

afterAll(async () => {
  await stack.stop();
  await redis.destroy();
});

describe('when Redis is unavailable and the intake spool is off', () => {
  it('answers 503 with Retry-After instead of acknowledging a lead it cannot store, and recovers', async () => {
    await redis.stop();
    const refused = await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'lost@example.com' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ error: 'queue_unavailable' });

    const ready = await fetch(`${stack.api.url}/readyz`);
    expect(ready.status).toBe(503);

    await redis.restart();
    await waitFor(async () => (await fetch(`${stack.api.url}/readyz`)).status === 200, 'readiness after restart', 15_000);
    const accepted = await waitFor(async () => {
      const response = await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'back@example.com' });
      return response.status === 202 ? ((await response.json()) as { id: string }) : undefined;
    }, 'a 202 after restart', 15_000);
    await waitFor(() => stack.sim.leads().some((l) => l.fields.ORIGIN_ID === accepted.id), 'delivery after restart', 20_000);
    expect(stack.sim.leads().some((l) => JSON.stringify(l.fields.EMAIL).includes('lost@example.com'))).toBe(false);
  });

  it('keeps an accepted lead across a Redis crash (AOF) and a worker restart, then delivers it once', async () => {
    await stack.api.stop();
    const api = await startLeadgate({ config: stack.config, role: 'api', logger: silentLogger });
    const response = await postJson(`${api.url}/v1/forms/contact`, { email: 'durable@example.com' });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await api.stop();
    // appendfsync everysec: the job is on disk within a second of the 202.
    await new Promise((r) => setTimeout(r, 1200));
    await redis.stop('SIGKILL');
    await redis.restart();
    stack.api = await startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger });
    await waitFor(() => stack.sim.leads().some((l) => l.fields.ORIGIN_ID === id), 'delivery after the crash', 20_000);
    expect(stack.sim.leads().filter((l) => l.fields.ORIGIN_ID === id)).toHaveLength(1);
  });
});
