import IORedis from 'ioredis';
import { PortalRateLimiter } from '../../src/worker/portal-rate-limiter';
import { leadCalls } from '../helpers/delivery-probes';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor, sleep } from '../helpers/wait-for';

let stack: Stack;

beforeEach(async () => {
  stack = await startStack('batch-delivery', {
    overrides: { forms: { contact: { destination: 'main', fields: { opened: 'OPENED' } } }, acceptAnyForm: false },
  });
});

afterEach(async () => {
  await stack.stop();
});

/** Holds the portal's shared budget for `ms`, as a busy portal would, so submitted leads pile up. */
async function holdBudget(ms: number): Promise<void> {
  const redis = new IORedis(stack.config.redis.url);
  await new PortalRateLimiter(redis, stack.prefix, 'main', { drainPerSecond: 2, limit: 50 }).pause(ms);
  redis.disconnect();
}

async function submit(n: number, invalidAt = -1): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const body: Record<string, string> = { name: `Lead ${i}`, email: `batch${i}@example.com` };
      if (i === invalidAt) body.opened = 'maybe';
      const response = await postJson(`${stack.api.url}/v1/forms/contact`, body);
      expect(response.status).toBe(202);
      return ((await response.json()) as { id: string }).id;
    }),
  );
}

async function status(id: string): Promise<{ status: string; lastError?: string }> {
  const response = await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } });
  return (await response.json()) as { status: string; lastError?: string };
}

function origins(): string[] {
  return stack.sim.leads().map((l) => String(l.fields.ORIGIN_ID));
}

describe('batched delivery', () => {
  it('sends leads that piled up as one batch; one invalid lead is dead-lettered and its 49 neighbours delivered', async () => {
    await holdBudget(3000);
    const ids = await submit(50, 17);
    await waitFor(async () => (await status(ids[17]!)).status === 'dead', 'the invalid lead dead-lettered', 15_000);
    await waitFor(() => origins().length === 49, '49 leads created', 15_000);
    const batches = stack.sim.calls().filter((c) => c.method === 'batch');
    expect(batches).toHaveLength(1);
    expect(new Set(origins())).toEqual(new Set(ids.filter((_, i) => i !== 17)));
    expect((await status(ids[17]!)).lastError).toMatch(/OPENED/);
    expect((await status(ids[0]!)).status).toBe('delivered');
  });

  it('a batch whose response is dropped after the portal committed it creates no duplicates', async () => {
    await holdBudget(3000);
    stack.sim.injectFault({ kind: 'drop-after-commit', count: 1, method: 'batch' });
    const ids = await submit(30);
    await waitFor(async () => (await Promise.all(ids.map(status))).every((s) => s.status === 'delivered'), 'all delivered', 20_000);
    await sleep(300);
    expect(origins().sort()).toEqual([...ids].sort());
    // The lost answer is reconciled with crm.lead.list over the batch's ids, not with 30 lookups.
    const lookups = stack.sim.calls().filter((c) => c.method === 'crm.lead.list');
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    expect(lookups.length).toBeLessThanOrEqual(3);
  });

  it('sends a lone lead on an idle system at once as a plain crm.lead.add', async () => {
    const [id] = await submit(1);
    await waitFor(() => origins().includes(id!), 'lead created', 5000);
    expect(leadCalls(stack.sim).map((c) => c.method)).toEqual(['crm.lead.add']);
  });
});
