import IORedis from 'ioredis';
import { PortalRateLimiter } from '../../src/worker/portal-rate-limiter';
import { copiesOf, leadView, submitLeads, type LeadView } from '../helpers/delivery-probes';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('proxy-answers', { destination: { probeIntervalMs: 200 } });
});

afterAll(async () => {
  await stack.stop();
});

beforeEach(() => {
  stack.sim.reset();
});

async function settled(id: string): Promise<LeadView> {
  return waitFor(async () => {
    const view = await leadView(stack.api.url, id);
    return view.status === 'delivered' || view.status === 'dead' ? view : undefined;
  }, `lead ${id} delivered or dead`, 15_000, 50);
}

const outcomes = (view: LeadView): string[] => view.history.map((a) => a.outcome);

describe('#4 answers that did not come from Bitrix24', () => {
  it('an HTML 403 from a proxy pauses the destination and keeps the lead, which is delivered once the proxy lets it through', async () => {
    stack.sim.injectFault({ kind: 'proxy', count: 1, status: 403, body: 'html', method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'waf');
    const view = await settled(id!);
    expect(view.status).toBe('delivered');
    expect(outcomes(view)).toEqual(['paused', 'delivered']);
    expect(view.history[0]!.code).toBe('HTTP_403');
    expect(copiesOf(stack.sim, id!)).toBe(1);
  });

  it('a code-less 404 page from a load balancer on a batch dead-letters none of its leads', async () => {
    const redis = new IORedis(stack.config.redis.url);
    await new PortalRateLimiter(redis, stack.prefix, 'main', { drainPerSecond: 2, limit: 50 }).pause(1500);
    redis.disconnect();
    stack.sim.injectFault({ kind: 'proxy', count: 1, status: 404, body: 'empty', method: 'batch' });
    const ids = await submitLeads(stack.api.url, 10, 'lb');
    const views = await Promise.all(ids.map(settled));
    expect(views.map((v) => v.status)).toEqual(ids.map(() => 'delivered'));
    expect(stack.sim.calls().some((c) => c.method === 'batch' && c.status === 404)).toBe(true);
    for (const id of ids) expect(copiesOf(stack.sim, id)).toBe(1);
  });

  it('a 429 without a Bitrix24 body throttles the destination for its Retry-After and spends no attempt', async () => {
    stack.sim.injectFault({ kind: 'proxy', count: 1, status: 429, body: 'text', retryAfter: 1, method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'throttle');
    const view = await settled(id!);
    expect(outcomes(view)).toEqual(['throttled', 'delivered']);
    expect(view.attempts).toBe(1);
    // Retry-After: 1 is honoured (a lower bound only: a loaded machine can only make it longer).
    expect(Date.parse(view.history[1]!.at) - Date.parse(view.history[0]!.at)).toBeGreaterThanOrEqual(900);
  });

  it('a 413 from a proxy is retried without a lookup (nothing ran behind it) and delivered once', async () => {
    stack.sim.injectFault({ kind: 'proxy', count: 1, status: 413, body: 'text', method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'big');
    const view = await settled(id!);
    expect(outcomes(view)).toEqual(['retry', 'delivered']);
    expect(view.history[0]!.code).toBe('HTTP_413');
    expect(stack.sim.calls().map((c) => c.method)).toEqual(['crm.lead.add', 'crm.lead.add']);
  });

  it('a 502 page may hide a lead the portal created: the retry looks before adding', async () => {
    stack.sim.injectFault({ kind: 'proxy', count: 1, status: 502, body: 'html', method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'gateway');
    const view = await settled(id!);
    expect(outcomes(view)).toEqual(['retry', 'delivered']);
    expect(stack.sim.calls().map((c) => c.method)).toEqual(['crm.lead.add', 'crm.lead.list', 'crm.lead.add']);
  });

  it("Bitrix24's own code-less 403 ('Access denied.') pauses the destination instead of blaming the lead", async () => {
    stack.sim.injectFault({ kind: 'error', count: 1, status: 403, error: '', description: 'Access denied.', method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'denied');
    const view = await settled(id!);
    expect(outcomes(view)).toEqual(['paused', 'delivered']);
    expect(copiesOf(stack.sim, id!)).toBe(1);
  });

  it("a portal that took the right to add leads away answers 'Access denied.' inside a batch: the destination pauses, no lead is dead-lettered, each is delivered once the right is back", async () => {
    const redis = new IORedis(stack.config.redis.url);
    // Held behind a short pause so the ten leads leave together, as one batch.
    await new PortalRateLimiter(redis, stack.prefix, 'main', { drainPerSecond: 2, limit: 50 }).pause(1500);
    redis.disconnect();
    stack.sim.setLeadAddAllowed(false);
    try {
      const ids = await submitLeads(stack.api.url, 10, 'rights');
      await waitFor(() => stack.sim.calls().some((c) => c.method === 'batch'), 'a batch reached the portal', 10_000);
      await waitFor(async () => (await leadView(stack.api.url, ids[0]!)).history.length > 0, 'the refusal recorded', 10_000);
      const refused = await Promise.all(ids.map((id) => leadView(stack.api.url, id)));
      expect(refused.map((v) => v.status)).not.toContain('dead');
      expect(refused.flatMap((v) => v.history.map((a) => a.outcome))).not.toContain('dead');
      expect(refused[0]!.history[0]).toMatchObject({ outcome: 'paused', code: 'ACCESS_DENIED' });
      expect(stack.sim.leads()).toHaveLength(0);

      stack.sim.setLeadAddAllowed(true);
      const views = await Promise.all(ids.map(settled));
      expect(views.map((v) => v.status)).toEqual(ids.map(() => 'delivered'));
      for (const id of ids) expect(copiesOf(stack.sim, id)).toBe(1);
    } finally {
      stack.sim.setLeadAddAllowed(true);
    }
  });

  it("only Bitrix24's own 400 about the lead's data dead-letters it", async () => {
    stack.sim.injectFault({ kind: 'error', count: 1, status: 400, error: '', description: 'Invalid value for field STATUS_ID', method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'invalid');
    const view = await settled(id!);
    expect(view.status).toBe('dead');
    expect(view.lastError).toContain('STATUS_ID');
    await sleep(200);
    expect(copiesOf(stack.sim, id!)).toBe(0);
  });
});
