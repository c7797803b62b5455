import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { LeakyBucket } from '../src/bitrix24/leaky-bucket';
import { OperatingLimiter } from '../src/bitrix24/operating-limit';
import { callJson, lead, type BatchResult } from './rest-client';

const QUERY_LIMIT = { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' };
const OPERATION_LIMIT = { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' };

describe('leaky bucket (per portal request counter)', () => {
  it('admits while the counter is at or below the limit, refuses above it without counting, and drains continuously', () => {
    let now = 0;
    const bucket = new LeakyBucket({ drainPerSecond: 2, limit: 5 }, () => now);
    const admitted = Array.from({ length: 8 }, () => bucket.tryTake());
    expect(admitted).toEqual([true, true, true, true, true, true, false, false]);
    expect(bucket.currentLevel()).toBe(6);
    now += 500; // drains 1 → 5, no longer above the limit
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    now += 60_000;
    expect(bucket.currentLevel()).toBe(0);
  });
});

describe('operating limiter (per webhook and method, ten one-minute baskets)', () => {
  it('blocks only after the limit is exceeded, and releases when baskets age out of the 10-minute window', () => {
    let now = 1_000_000;
    const limiter = new OperatingLimiter(1, () => now);
    expect(limiter.charge('m', 0.6)).toEqual({ operating: 0.6, resetAt: Math.ceil((1_000_000 + 600_000) / 1000) });
    expect(limiter.isBlocked('m')).toBe(false);
    now += 61_000; // a second basket
    limiter.charge('m', 0.6);
    expect(limiter.isBlocked('m')).toBe(true);
    expect(limiter.isBlocked('other-method')).toBe(false);
    now = 1_000_000 + 600_000; // the first basket drops out
    expect(limiter.snapshot('m').operating).toBeCloseTo(0.6);
    expect(limiter.isBlocked('m')).toBe(false);
  });
});

describe('Bitrix24 simulator: limits over HTTP', () => {
  let sim: Bitrix24Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('refuses requests with 503 QUERY_LIMIT_EXCEEDED once the bucket is above its limit, and does not execute them', async () => {
    const s = (sim = await startBitrix24Simulator({ bucket: { drainPerSecond: 2, limit: 5 } }));
    const statuses: number[] = [];
    let refusal: unknown;
    for (let i = 0; i < 9; i++) {
      const res = await callJson(s.webhookUrl, 'crm.lead.add', lead({ TITLE: `t${i}` }));
      statuses.push(res.status);
      if (res.status === 503) refusal = res.body;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 503, 503, 503]);
    expect(refusal).toEqual(QUERY_LIMIT);
    expect(s.leads()).toHaveLength(6);
    expect(s.stats()).toMatchObject({ requests: 9, queryLimitExceeded: 3, leadsCreated: 6 });
    // Refusals are not counted, so the bucket recovers at the drain rate: 6 → ≤5 within 0.5 s.
    await new Promise((r) => setTimeout(r, 600));
    expect((await callJson(s.webhookUrl, 'crm.lead.add', lead({ TITLE: 'after' }))).status).toBe(200);
  });

  it('counts a batch of many commands as a single request', async () => {
    const s = (sim = await startBitrix24Simulator({ bucket: { drainPerSecond: 0, limit: 1 } }));
    const cmd = Array.from({ length: 50 }, (_, i) => `crm.lead.add?fields[TITLE]=b${i}`);
    expect((await callJson(s.webhookUrl, 'batch', { cmd })).status).toBe(200);
    expect((await callJson(s.webhookUrl, 'batch', { cmd })).status).toBe(200);
    expect((await callJson(s.webhookUrl, 'batch', { cmd })).status).toBe(503);
    expect(s.leads()).toHaveLength(100);
  });

  it('uses the plan numbers (standard 2/s above 50, enterprise 5/s above 250) and lets a test switch plans', async () => {
    const s = (sim = await startBitrix24Simulator());
    const info = async () => (await (await fetch(`${s.url}/_sim`)).json()) as { bucket: unknown };
    expect((await info()).bucket).toEqual({ drainPerSecond: 2, limit: 50 });
    s.setPlan('enterprise');
    expect((await info()).bucket).toEqual({ drainPerSecond: 5, limit: 250 });
    s.setPlan({ drainPerSecond: 0, limit: 0 });
    expect((await callJson(s.webhookUrl, 'crm.lead.fields')).status).toBe(200);
    expect((await callJson(s.webhookUrl, 'crm.lead.fields')).status).toBe(503);
  });

  it('blocks a method with 429 OPERATION_TIME_LIMIT after its operating time exceeds the limit; other methods keep working', async () => {
    // Nominal 0.01 s per call: calls 1–3 pass (the 3rd crosses 0.025 s and still completes), the 4th is refused.
    const s = (sim = await startBitrix24Simulator({ operatingLimitSeconds: 0.025 }));
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await callJson<number>(s.webhookUrl, 'crm.lead.add', lead({ TITLE: `t${i}` })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(results[3]?.body).toEqual(OPERATION_LIMIT);
    expect(results.slice(0, 3).map((r) => r.body.time?.operating)).toEqual([
      expect.closeTo(0.01),
      expect.closeTo(0.02),
      expect.closeTo(0.03),
    ]);
    const resetAt = results[0]?.body.time?.operating_reset_at ?? 0;
    expect(resetAt).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 590);
    expect(s.leads()).toHaveLength(3);
    expect((await callJson(s.webhookUrl, 'crm.lead.list')).status).toBe(200);
    expect(s.stats().operationTimeLimit).toBe(1);
  });

  it('charges processingMs (really waited) per executed call', async () => {
    const s = (sim = await startBitrix24Simulator({ operatingLimitSeconds: 0.1, processingMs: 40 }));
    const started = Date.now();
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await callJson(s.webhookUrl, 'crm.lead.add', lead({ TITLE: `t${i}` }));
      statuses.push(res.status);
      if (i === 0) expect(res.body.time?.processing).toBe(0.04);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("bills a batch to the method 'batch' by default (sub-commands are not billed individually)", async () => {
    const s = (sim = await startBitrix24Simulator({ operatingLimitSeconds: 0.015 }));
    const cmd = { a: 'crm.lead.add?fields[TITLE]=a', b: 'crm.lead.add?fields[TITLE]=b' };
    const first = await callJson<BatchResult>(s.webhookUrl, 'batch', { cmd });
    expect(first.body.time?.operating).toBeCloseTo(0.02);
    const times = (first.body.result as BatchResult).result_time as Record<string, { operating: number }>;
    expect(times.a?.operating).toBeCloseTo(0.02);
    const second = await callJson(s.webhookUrl, 'batch', { cmd });
    expect(second.status).toBe(429);
    expect(second.body).toEqual(OPERATION_LIMIT);
    expect((await callJson(s.webhookUrl, 'crm.lead.add', lead({ TITLE: 'direct' }))).status).toBe(200);
  });

  it("with chargeBatchAs 'commands' bills each command to its own method and refuses it inside the batch", async () => {
    const s = (sim = await startBitrix24Simulator({ operatingLimitSeconds: 0.015, chargeBatchAs: 'commands' }));
    const res = await callJson<BatchResult>(s.webhookUrl, 'batch', {
      cmd: ['crm.lead.add?fields[TITLE]=a', 'crm.lead.add?fields[TITLE]=b', 'crm.lead.add?fields[TITLE]=c'],
    });
    expect(res.status).toBe(200);
    expect(res.body.time).not.toHaveProperty('operating');
    const batch = res.body.result as BatchResult;
    expect(batch.result).toEqual([1, 2]);
    expect(batch.result_error).toEqual({ 2: OPERATION_LIMIT });
    expect((await callJson(s.webhookUrl, 'crm.lead.add', lead({ TITLE: 'direct' }))).status).toBe(429);
    expect(s.stats().operationTimeLimit).toBe(2);
  });
});

describe('Bitrix24 simulator: a portal other traffic is already using', () => {
  let sim: Bitrix24Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it("bucketLevel 'full' puts the counter at limit + 1: the first request is refused and one is admitted after one drain step", () => {
    let now = 0;
    const bucket = new LeakyBucket({ drainPerSecond: 2, limit: 5 }, () => now);
    bucket.setLevel('full');
    expect(bucket.currentLevel()).toBe(6);
    expect(bucket.tryTake()).toBe(false);
    now += 499;
    expect(bucket.tryTake()).toBe(false);
    now += 1; // one drain step (1/2 s) → 5, at the limit: admitted
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('starts full when asked, over HTTP, and the refusal is the portal’s own QUERY_LIMIT_EXCEEDED', async () => {
    const s = (sim = await startBitrix24Simulator({ bucket: { drainPerSecond: 2, limit: 5 }, bucketLevel: 'full' }));
    const res = await callJson(s.webhookUrl, 'crm.lead.add', lead({ TITLE: 'busy' }));
    expect(res.status).toBe(503);
    expect(res.body).toEqual(QUERY_LIMIT);
    expect(s.leads()).toHaveLength(0);
  });

  it("other apps' load fills the same counter and is refused like anyone's once it is above the limit", async () => {
    const s = (sim = await startBitrix24Simulator({ bucket: { drainPerSecond: 0, limit: 2 } }));
    const control = await fetch(`${s.url}/_sim/bucket`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ otherAppsPerSecond: 100 }) });
    expect(control.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const { otherApps, bucketLevel, requests } = s.stats();
    // Nothing drains: three admitted (0, 1, 2 → 3), every later one refused and not counted.
    expect(bucketLevel).toBe(3);
    expect(otherApps.requestsPerSecond).toBe(100);
    expect(otherApps.requests).toBeGreaterThan(5);
    expect(otherApps.refused).toBe(otherApps.requests - 3);
    // Not leadgate's requests: the portal's own counters and call log do not show them.
    expect(requests).toBe(0);
    expect((await callJson(s.webhookUrl, 'profile')).status).toBe(503);
    s.setBucketLoad({ otherAppsPerSecond: 0 });
    expect(s.stats().otherApps.requestsPerSecond).toBe(0);
  });

  it('rejects a bad /_sim/bucket body with 400 and changes nothing', async () => {
    const s = (sim = await startBitrix24Simulator());
    const post = (body: unknown) => fetch(`${s.url}/_sim/bucket`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ level: 'half' })).status).toBe(400);
    expect((await post({ level: 10, otherAppsPerSecond: -1 })).status).toBe(400);
    expect(s.stats().bucketLevel).toBe(0);
    const ok = await post({ level: 'full' });
    expect(await ok.json()).toMatchObject({ ok: true, level: expect.closeTo(51, 0) });
  });
});
