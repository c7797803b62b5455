import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

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
