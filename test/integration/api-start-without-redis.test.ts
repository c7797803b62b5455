import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/**
 * An API process with the intake spool on starts while its Redis is away (a host reboot where the
 * API comes up first, a Redis being failed over): it answers from the spool at once instead of
 * exiting, reports itself degraded, and hands every spooled lead to Redis once it answers.
 */
let redis: PrivateRedis;
let stack: Stack;
let api: RunningLeadgate | undefined;

beforeAll(async () => {
  redis = await startPrivateRedis();
  // The worker's config holds the simulator and the prefix; the worker itself starts only after Redis is back.
  stack = await startStack('api-start-without-redis', {
    redisUrl: redis.url,
    role: 'worker',
    overrides: { http: { rateLimit: { windowMs: 60_000, limit: 4 } } },
  });
  await stack.api.stop();
  await redis.stop();
});

afterAll(async () => {
  await api?.stop();
  await stack.stop();
  await redis.destroy();
});

const deliveredCopies = (id: string) => stack.sim.leads().filter((l) => l.fields.ORIGIN_ID === id).length;

describe('an API with the intake spool, started while Redis is away', () => {
  it('starts, spools leads (still rate limited once Redis answers), says degraded, then drains them to Redis; each is delivered once', async () => {
    api = await startLeadgate({ config: stack.config, role: 'api', logger: silentLogger });

    const ids: string[] = [];
    for (let n = 0; n < 2; n++) {
      const response = await postJson(`${api.url}/v1/forms/contact`, { email: `early${n}@example.com` });
      expect(response.status).toBe(202);
      const body = (await response.json()) as { id: string; status: string };
      expect(body.status).toBe('spooled');
      ids.push(body.id);
    }
    // Degraded, not unready: a load balancer keeps sending leads, which the spool takes.
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', spool: { leads: 2 } });
    // A scrape answers while Redis is away: the backlog gauges are left out, not waited for.
    const metrics = await fetch(`${api.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/leadgate_spool_leads 2/);

    await redis.restart();
    await waitFor(async () => ((await (await fetch(`${api!.url}/readyz`)).json()) as { status: string }).status === 'ready', 'the spool drained', 20_000);
    // The per-address limit works again once Redis answers: 4 a minute.
    const statuses: number[] = [];
    for (let n = 0; n < 6; n++) {
      const response = await postJson(`${api.url}/v1/forms/contact`, { email: `later${n}@example.com` });
      statuses.push(response.status);
      if (response.status === 202) ids.push(((await response.json()) as { id: string }).id);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);

    stack.api = await startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger });
    await waitFor(() => ids.every((id) => deliveredCopies(id) >= 1), 'every lead delivered', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    for (const id of ids) expect(deliveredCopies(id)).toBe(1);
  });
});
