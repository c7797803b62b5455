import IORedis from 'ioredis';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { PortalRateLimiter } from '../../src/worker/portal-rate-limiter';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/**
 * Issue 15: leadgate's mirror of a portal's leaky bucket learns the portal's real state (other apps,
 * an earlier process) instead of assuming it is empty, and batches under load leave full.
 */

async function submit(stack: Stack, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += 20) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(20, n - start) }, async (_, k) => {
        const response = await postJson(`${stack.api.url}/v1/forms/contact`, { email: `bucket${start + k}@example.com` });
        expect(response.status).toBe(202);
        return ((await response.json()) as { id: string }).id;
      }),
    );
    ids.push(...chunk);
  }
  return ids;
}

function leadsPerOrigin(stack: Stack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const lead of stack.sim.leads()) counts.set(String(lead.fields.ORIGIN_ID), (counts.get(String(lead.fields.ORIGIN_ID)) ?? 0) + 1);
  return counts;
}

describe('the Redis mirror of a portal bucket', () => {
  const redis = new IORedis(SHARED_REDIS_URL);
  const prefix = uniquePrefix('bucket-mirror');
  const shape = { drainPerSecond: 2, limit: 50 };
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('after a refusal is full: the next request waits one drain step, however empty it believed the bucket', async () => {
    const limiter = new PortalRateLimiter(redis, prefix, 'refused', shape);
    expect(await limiter.acquire()).toBe(0);
    expect(limiter.drainStepMs).toBe(500);
    const wait = await limiter.refused();
    expect(wait).toBe(500);
    const next = await limiter.acquire();
    expect(next).toBeGreaterThan(300);
    expect(next).toBeLessThanOrEqual(500);
    // Refusals in a row add a pause on top of the step.
    expect(await limiter.refused(1000)).toBe(1000);
  });

  it('after a refusal knows the portal busy in every process: a request after a lull waits one drain step, a stream paces on the mirror', async () => {
    const refusedHere = new PortalRateLimiter(redis, prefix, 'busy', shape);
    // Another process on another host: it never saw the refusal, only the shared mirror.
    const elsewhere = new PortalRateLimiter(redis, prefix, 'busy', shape);
    expect(await elsewhere.acquire({ afterLull: true })).toBe(0);
    expect(elsewhere.busy).toBe(false);
    expect(await refusedHere.refused()).toBe(500);
    expect(refusedHere.busy).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    // The mirror has drained a step: a request in a stream may go...
    expect(await elsewhere.acquire()).toBe(0);
    expect(elsewhere.busy).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    // ...but one arriving after a lull cannot know what other apps spent meanwhile: it waits exactly
    // one drain step from now (never the doubled or fixed pauses of a refusal), and only once.
    const lull = await elsewhere.acquire({ afterLull: true });
    expect(lull).toBeGreaterThan(450);
    expect(lull).toBeLessThanOrEqual(500);
    const again = await elsewhere.acquire();
    expect(again).toBeGreaterThan(400);
    expect(again).toBeLessThanOrEqual(500);
  });

  it('forgets a busy portal after its memory: a request after a lull goes at once again', async () => {
    const limiter = new PortalRateLimiter(redis, prefix, 'forgets', shape, { busyMemoryMs: 300 });
    await limiter.refused();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await limiter.acquire({ afterLull: true })).toBe(0);
    expect(limiter.busy).toBe(false);
  });

  it('starts empty or full for a portal it has no record of, as configured', async () => {
    expect(await new PortalRateLimiter(redis, prefix, 'cold-empty', shape, { coldStart: 'empty' }).acquire()).toBe(0);
    const full = await new PortalRateLimiter(redis, prefix, 'cold-full', shape, { coldStart: 'full' }).acquire();
    expect(full).toBeGreaterThan(300);
    expect(full).toBeLessThanOrEqual(500);
  });
});

// Worker start, 260 posts and six drain steps: room for a loaded machine (the bounds below are not timings).
jest.setTimeout(60_000);

describe('delivery to a portal other traffic has just filled', () => {
  let stack: Stack | undefined;
  let worker: RunningLeadgate | undefined;
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await stack?.stop();
    stack = undefined;
  });

  it('a refused lead stays in the worker and goes again after one drain step, with no attempt spent', async () => {
    // 1 request/s: one drain step is a second. Other apps keep the bucket full until leadgate's first
    // lead request is refused, then stop: from there the portal admits one request a step later.
    const bucket = { drainPerSecond: 1, limit: 8 };
    let sim: Stack['sim'] | undefined;
    const onCall = (call: { method: string; status: number }): void => {
      if (call.method === 'crm.lead.add' && call.status === 503) sim?.setBucketLoad({ otherAppsPerSecond: 0 });
    };
    const s = (stack = await startStack('bucket-refusal', { sim: { bucket, onCall }, destination: { rateLimit: bucket } }));
    sim = s.sim;
    s.sim.setBucketLoad({ level: 'full', otherAppsPerSecond: 20 });
    const before = s.sim.calls().length;
    const [id] = await submit(s, 1);
    await waitFor(() => leadsPerOrigin(s).get(id!) === 1, 'the lead in Bitrix24', 10_000);
    const calls = s.sim.calls().slice(before).filter((c) => c.method === 'crm.lead.add');
    expect(calls.map((c) => [c.status, c.error])).toEqual([
      [503, 'QUERY_LIMIT_EXCEEDED'],
      [200, undefined],
    ]);
    const gap = calls[1]!.at - calls[0]!.at;
    // One drain step, not the old fixed 2 s pause plus the queue's rate limit.
    expect(gap).toBeGreaterThanOrEqual(990);
    expect(gap).toBeLessThan(1900);
    expect(s.sim.stats().queryLimitExceeded).toBe(1);
    const record = (await (await fetch(`${s.api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } })).json()) as {
      status: string;
      history: Array<{ outcome: string }>;
    };
    expect(record.status).toBe('delivered');
    expect(record.history.map((h) => h.outcome)).not.toContain('throttled');
  });

  it('a lead arriving after a lull at a portal other apps keep full waits one drain step and is not refused, once the portal has refused once', async () => {
    const s = (stack = await startStack('bucket-busy-lull', {}));
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      // Other apps have just spent the bucket (they do it again before every lead).
      s.sim.setBucketLoad({ level: 'full' });
      const postedAt = Date.now();
      const [id] = await submit(s, 1);
      await waitFor(() => leadsPerOrigin(s).get(id!) === 1, 'the lead in Bitrix24', 10_000, 10);
      const lead = s.sim.leads().find((l) => l.fields.ORIGIN_ID === id)!;
      waits.push(Date.parse(lead.createdAt) - postedAt);
      // A lull, shorter than a drain step after our last request: the mirror alone would send at once.
      await new Promise((r) => setTimeout(r, 300));
    }
    // The first lead taught leadgate that the portal is busy (its one refusal); the others waited
    // one drain step (the portal admits nothing sooner) and went through first time.
    expect(s.sim.stats().queryLimitExceeded).toBe(1);
    for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(480);
    // One step and the delivery itself, not a refusal plus a step (or the old doubled pauses).
    for (const wait of waits.slice(1)) expect(wait).toBeLessThan(1000);
    const adds = s.sim.calls().filter((c) => c.method === 'crm.lead.add');
    expect(adds.filter((c) => c.status !== 200)).toHaveLength(1);
  });

  it('with coldStart empty a worker starting against a full bucket is refused once, not once per request it had in flight', async () => {
    const s = (stack = await startStack('bucket-cold-empty', { role: 'api', overrides: { http: { rateLimit: { windowMs: 60_000, limit: 10_000 } } } }));
    const ids = await submit(s, 160);
    // Other traffic has just spent the bucket as the worker starts (its first request reads the CRM mode).
    s.sim.setBucketLoad({ level: 'full' });
    worker = await startLeadgate({ config: s.config, role: 'worker', logger: silentLogger });
    await waitFor(() => leadsPerOrigin(s).size >= ids.length, `${ids.length} leads in Bitrix24`, 30_000, 100);
    const counts = leadsPerOrigin(s);
    expect(ids.every((id) => counts.get(id) === 1)).toBe(true);
    // The first request goes alone until it is answered: refused, and the mirror turns full.
    expect(s.sim.calls().filter((c) => c.status === 503).map((c) => c.error)).toEqual(['QUERY_LIMIT_EXCEEDED']);
  });

  it('with coldStart full a worker starting against a full bucket is never refused, and batches under load carry 50', async () => {
    const s = (stack = await startStack('bucket-cold-full', { role: 'api', sim: { bucketLevel: 'full' }, overrides: { delivery: { coldStart: 'full' }, http: { rateLimit: { windowMs: 60_000, limit: 10_000 } } } }));
    const ids = await submit(s, 260);
    worker = await startLeadgate({ config: s.config, role: 'worker', logger: silentLogger });
    await waitFor(() => leadsPerOrigin(s).size >= ids.length, `${ids.length} leads in Bitrix24`, 30_000, 100);
    const counts = leadsPerOrigin(s);
    expect(ids.every((id) => counts.get(id) === 1)).toBe(true);
    expect(s.sim.stats().queryLimitExceeded).toBe(0);
    const sizes = s.sim
      .calls()
      .filter((c) => !c.viaBatch && (c.method === 'batch' || c.method === 'crm.lead.add'))
      .map((c) => (c.method === 'batch' ? c.commands : 1));
    // The leads held (auto: 50 × (2/s + 1)) wait for the bucket: every batch under load is full. The
    // remainder trickles in as the last jobs are taken (on a loaded machine it may leave in two parts).
    expect(sizes.slice(0, 5)).toEqual([50, 50, 50, 50, 50]);
    expect(sizes.slice(5).reduce((sum: number, n) => sum + (n ?? 0), 0)).toBe(10);
  });
});
