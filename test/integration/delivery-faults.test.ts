import { DeadLetterQueue } from '../../src/queue/dead-letter-queue';
import { DeadLetterStore } from '../../src/queue/dead-letter-store';
import { LeadLedger } from '../../src/queue/lead-ledger';
import { LeadQueue } from '../../src/queue/lead-queue';
import { createRedis, waitForRedis } from '../../src/queue/redis-connection';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor, sleep } from '../helpers/wait-for';

let stack: Stack;

beforeEach(async () => {
  stack = await startStack('delivery-faults');
});

afterEach(async () => {
  await stack.stop();
});

async function submit(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const response = await postJson(`${stack.api.url}/v1/forms/contact`, { name: `Lead ${i}`, email: `lead${i}@example.com` });
    expect(response.status).toBe(202);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

function countByOrigin(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const lead of stack.sim.leads()) {
    const id = String(lead.fields.ORIGIN_ID);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function status(id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } });
  return (await response.json()) as Record<string, unknown>;
}

describe('delivery when Bitrix24 misbehaves', () => {
  it('a burst of QUERY_LIMIT_EXCEEDED and 500s ends in exactly one lead per submission', async () => {
    stack.sim.injectFault({ kind: 'error', count: 3, status: 503, error: 'QUERY_LIMIT_EXCEEDED', description: 'Too many requests' });
    stack.sim.injectFault({ kind: 'error', count: 3, status: 500, error: 'INTERNAL_SERVER_ERROR', description: 'Internal server error' });
    const ids = await submit(5);
    await waitFor(() => ids.every((id) => countByOrigin().has(id)), 'all five leads', 20_000);
    await sleep(500);
    const counts = countByOrigin();
    for (const id of ids) expect(counts.get(id)).toBe(1);
    const record = await status(ids[0]!);
    expect(record).toMatchObject({ status: 'delivered' });
    expect(typeof record.bitrixLeadId).toBe('number');
  });

  it('a response dropped after Bitrix24 committed the lead ends in exactly one lead', async () => {
    stack.sim.injectFault({ kind: 'drop-after-commit', count: 1 });
    const [id] = await submit(1);
    await waitFor(async () => (await status(id!)).status === 'delivered', 'delivered status', 15_000);
    await sleep(300);
    expect(countByOrigin().get(id!)).toBe(1);
    const record = await status(id!);
    expect((record.history as Array<{ outcome: string }>).map((a) => a.outcome)).toEqual(['retry', 'reconciled']);
  });

  it('an answer slower than the timeout is treated as ambiguous and still yields one lead', async () => {
    await stack.stop();
    stack = await startStack('delivery-faults-timeout', { destination: { timeoutMs: 300 } });
    stack.sim.injectFault({ kind: 'delay', count: 1, ms: 800 });
    const [id] = await submit(1);
    await waitFor(async () => (await status(id!)).status === 'delivered', 'delivered status', 15_000);
    await sleep(900);
    expect(countByOrigin().get(id!)).toBe(1);
  });

  it('an invalid-field 400 dead-letters the lead with its reason; replay after the fix delivers it once', async () => {
    stack.sim.injectFault({ kind: 'error', count: 1, status: 400, error: '', description: 'Invalid value for field STATUS_ID' });
    const [id] = await submit(1);
    await waitFor(async () => (await status(id!)).status === 'dead', 'dead status', 10_000);
    const record = await status(id!);
    expect(record.lastError).toContain('Invalid value for field STATUS_ID');
    expect(countByOrigin().get(id!)).toBeUndefined();
    const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(metrics).toMatch(/leadgate_dead_letters 1/);
    expect(metrics).toMatch(/leadgate_leads_dead_lettered_total\{destination="main",code="VALIDATION"\} 1/);

    const redis = createRedis(stack.config.redis, 'producer');
    await waitForRedis(redis);
    const queue = new LeadQueue(redis, { prefix: stack.prefix, destinations: ['main'], attempts: 8, deliveredRetentionSeconds: 60 });
    const dlq = new DeadLetterQueue(new DeadLetterStore(redis, stack.prefix), queue, new LeadLedger(redis, stack.prefix, 3600));
    try {
      const [entry] = await dlq.list();
      expect(entry).toMatchObject({ lead: { id }, code: '', reason: expect.stringContaining('Invalid value for field STATUS_ID') });
      expect(entry!.attempts.map((a) => a.outcome)).toEqual(['dead']);
      expect(await dlq.replay(id!)).toBe(true);
      await waitFor(async () => (await status(id!)).status === 'delivered', 'delivered after replay', 10_000);
      expect(countByOrigin().get(id!)).toBe(1);
      expect(await dlq.count()).toBe(0);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });

  it('exhausting every attempt on retryable errors dead-letters the lead with every attempt recorded', async () => {
    stack.sim.injectFault({ kind: 'error', count: 100, status: 500, error: 'INTERNAL_SERVER_ERROR', description: 'Internal server error', method: 'crm.lead.add' });
    const [id] = await submit(1);
    await waitFor(async () => (await status(id!)).status === 'dead', 'dead status', 15_000);
    const record = await status(id!);
    expect(record.lastError).toMatch(/gave up after 8 attempts/);
    expect(record.attempts).toBe(8);
    expect(countByOrigin().get(id!)).toBeUndefined();
  });
});
