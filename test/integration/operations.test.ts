import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { buildConfig } from '../../src/config/load-config';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('operations');
});

afterAll(async () => {
  await stack.stop();
});

describe('operator endpoints', () => {
  it('serves liveness and readiness', async () => {
    expect(await (await fetch(`${stack.api.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${stack.api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', redis: 'ok' });
  });

  it('GET /v1/leads/:id needs the admin token and shows status, Bitrix24 id and attempts', async () => {
    const { id } = (await (await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'status@example.com' })).json()) as { id: string };
    expect((await fetch(`${stack.api.url}/v1/leads/${id}`)).status).toBe(401);
    expect((await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const record = await waitFor(async () => {
      const response = await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } });
      const body = (await response.json()) as { status: string; bitrixLeadId?: number; attempts: number };
      return body.status === 'delivered' ? body : undefined;
    }, 'delivered');
    const created = stack.sim.leads().find((l) => l.fields.ORIGIN_ID === id);
    expect(record).toMatchObject({ id, status: 'delivered', bitrixLeadId: created!.ID, attempts: 1, destination: 'main', source: 'form:contact' });
    const missing = await fetch(`${stack.api.url}/v1/leads/lg_nope`, { headers: { authorization: 'Bearer admin-secret' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'lead_not_found' });
  });

  it('exposes Prometheus counters for received, rejected, queued and delivered leads and latency', async () => {
    await postJson(`${stack.api.url}/v1/forms/contact`, { name: 'no contact' });
    const { id } = (await (await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'metrics@example.com' })).json()) as { id: string };
    await waitFor(() => stack.sim.leads().some((l) => l.fields.ORIGIN_ID === id), 'delivery');
    const text = await waitFor(async () => {
      const body = await (await fetch(`${stack.api.url}/metrics`)).text();
      return /leadgate_leads_delivered_total\{destination="main",how="created"\} [2-9]/.test(body) ? body : undefined;
    }, 'delivered metric');
    expect(text).toMatch(/leadgate_leads_received_total\{source="form"\} \d+/);
    expect(text).toMatch(/leadgate_leads_rejected_total\{source="form",reason="validation_failed"\} 1/);
    expect(text).toMatch(/leadgate_leads_queued_total\{source="form",destination="main"\} \d+/);
    expect(text).toMatch(/leadgate_delivery_latency_seconds_count\{destination="main"\} \d+/);
    // Backlog and dead letters come from Redis at scrape time: what every process shares.
    expect(text).toMatch(/leadgate_queue_jobs\{destination="main",state="wait"\} 0/);
    expect(text).toMatch(/leadgate_queue_jobs\{destination="main",state="failed"\} 0/);
    expect(text).toMatch(/leadgate_dead_letters 0/);
  });

  it('rate-limits form posts per IP, apart from webhooks', async () => {
    const limited = await startStack('operations-rl', { overrides: { http: { rateLimit: { windowMs: 60_000, limit: 2 } } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await postJson(`${limited.api.url}/v1/forms/contact`, { email: `rl${i}@example.com` })).status);
      expect(statuses).toEqual([202, 202, 429]);
      const refused = await postJson(`${limited.api.url}/v1/forms/contact`, { email: 'rl@example.com' });
      expect(await refused.json()).toMatchObject({ error: 'rate_limited' });
      expect(refused.headers.get('retry-after')).not.toBeNull();
      // Webhooks have their own, higher per-IP budget: a busy form does not starve Meta or Google.
      expect((await fetch(`${limited.api.url}/v1/webhooks/meta?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1`)).status).not.toBe(429);
    } finally {
      await limited.stop();
    }
  });
});

describe('who can read /readyz and /metrics (http.operations)', () => {
  const token = 'ops-token-0123456789abcdef';
  const bearer = { authorization: `Bearer ${token}` };

  it('by default, anyone who reaches the public port reads both in full (as before the setting)', async () => {
    expect(stack.config.http.operations).toEqual({});
    expect(await (await fetch(`${stack.api.url}/readyz`)).json()).toHaveProperty('destinations');
    expect((await fetch(`${stack.api.url}/metrics`)).status).toBe(200);
  });

  it('with a token, /metrics needs it and /readyz shows only its status without it', async () => {
    const guarded = await startStack('operations-token', { overrides: { http: { operations: { token } } } });
    try {
      const refused = await fetch(`${guarded.api.url}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await refused.json()).toMatchObject({ error: 'unauthorized' });
      expect((await fetch(`${guarded.api.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${guarded.api.url}/metrics`, { headers: { authorization: token } })).status).toBe(401);
      const scraped = await fetch(`${guarded.api.url}/metrics`, { headers: bearer });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/leadgate_dead_letters 0/);

      // A load balancer's check sends no header: it still learns ready or not, and nothing else.
      const bare = await fetch(`${guarded.api.url}/readyz`);
      expect(bare.status).toBe(200);
      expect(await bare.json()).toEqual({ status: 'ready' });
      expect(await (await fetch(`${guarded.api.url}/readyz`, { headers: bearer })).json()).toMatchObject({ status: 'ready', redis: 'ok', destinations: { main: { open: false } } });
      expect(await (await fetch(`${guarded.api.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    } finally {
      await guarded.stop();
    }
  });

  it('the token guards a worker\'s own port too', async () => {
    const worker = await startStack('operations-worker', { role: 'worker', overrides: { http: { operations: { token } } } });
    try {
      expect((await fetch(`${worker.api.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${worker.api.url}/metrics`, { headers: bearer })).status).toBe(200);
      expect(await (await fetch(`${worker.api.url}/readyz`)).json()).toEqual({ status: 'ready' });
      const unknown = await fetch(`${worker.api.url}/nope`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: 'not_found' });
    } finally {
      await worker.stop();
    }
  });

  it('with a separate port, the public port keeps only /healthz and the operations port serves all three', async () => {
    const split = await startStack('operations-port', { overrides: { http: { operations: { port: 0 } } } });
    try {
      expect(split.api.operationsUrl).toBeDefined();
      for (const path of ['/readyz', '/metrics']) {
        const hidden = await fetch(`${split.api.url}${path}`);
        expect(hidden.status).toBe(404);
        expect(await hidden.json()).toMatchObject({ error: 'not_found' });
      }
      expect(await (await fetch(`${split.api.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
      expect(await (await fetch(`${split.api.operationsUrl}/healthz`)).json()).toMatchObject({ status: 'ok' });
      expect(await (await fetch(`${split.api.operationsUrl}/readyz`)).json()).toMatchObject({ status: 'ready', destinations: { main: { open: false } } });
      expect(await (await fetch(`${split.api.operationsUrl}/metrics`)).text()).toMatch(/leadgate_leads_received_total|leadgate_dead_letters/);
      // The operations port serves nothing else: no intake there.
      expect((await postJson(`${split.api.operationsUrl}/v1/forms/contact`, { email: 'x@example.com' })).status).toBe(404);
    } finally {
      await split.stop();
    }
  });

  it('with both, the operations port asks for the token as well', async () => {
    const both = await startStack('operations-both', { overrides: { http: { operations: { port: 0, token } } } });
    try {
      expect((await fetch(`${both.api.operationsUrl}/metrics`)).status).toBe(401);
      expect((await fetch(`${both.api.operationsUrl}/metrics`, { headers: bearer })).status).toBe(200);
    } finally {
      await both.stop();
    }
  });

  it('refuses a token too short to be a secret', async () => {
    const config = { redis: { url: 'redis://127.0.0.1:6379' }, destinations: { main: { webhookUrl: stack.sim.webhookUrl } }, forms: {} };
    expect(() => buildConfig({ ...config, http: { operations: { token: 'short' } } }, {})).toThrow(/operations\/token/);
  });
});
