/**
 * The overview's figures over plain HTTP: every process counts received, queued, delivered, retried,
 * dead-lettered and spam leads into time-bucketed Redis hashes, the worker adds delivery latencies
 * and the portal's operating-limit use, and the console reads them back for the last hour, day and
 * week. Also: /readyz's details match the Ready schema of openapi.yaml.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import IORedis from 'ioredis';
import { parse } from 'yaml';
import { ActivityRecorder, LATENCY_BOUNDS_MS, percentile, readActivity } from '../../src/queue/activity';
import { PLAN_BUCKETS, PortalRateLimiter } from '../../src/worker/portal-rate-limiter';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

interface Overview {
  activity: {
    starts: number[];
    series: Record<'received' | 'queued' | 'delivered' | 'retried' | 'dead' | 'spam', { bySource: Record<string, number[]>; byDestination: Record<string, number[]> }>;
    latency: Record<string, { count: number; p50Ms?: number; p95Ms?: number }>;
  };
  destinations: Array<{ name: string; health: { open: boolean }; backlog: Record<string, number>; use: { bucket: { level: number; capacity: number }; operating?: { seconds: number; limitSeconds: number } } }>;
  deadLetters: number;
}

const total = (values: number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);

describe('activity counters (Redis, shared by every process)', () => {
  const redis = new IORedis(SHARED_REDIS_URL);
  const prefix = uniquePrefix('activity');
  afterAll(async () => {
    await dropPrefix(prefix);
    redis.disconnect();
  });

  it('adds up the counts of several processes per minute and per hour, and reads them back for each range', async () => {
    const api = new ActivityRecorder(redis, prefix);
    const worker = new ActivityRecorder(redis, prefix);
    api.count('received', { source: 'form' }, 3);
    api.count('queued', { source: 'form', destination: 'main' }, 2);
    worker.count('delivered', { source: 'form', destination: 'main' });
    worker.count('delivered', { source: 'partner', destination: 'main' });
    worker.latency('main', 420);
    worker.latency('main', 9000);
    await Promise.all([api.flush(), worker.flush()]);
    api.count('received', { source: 'form' });
    await api.stop();

    for (const range of ['hour', 'day', 'week'] as const) {
      const window = await readActivity(redis, prefix, range);
      expect(window.starts).toHaveLength({ hour: 60, day: 24, week: 168 }[range]);
      expect(total(window.series.received.bySource.form)).toBe(4);
      expect(window.series.received.byDestination).toEqual({});
      expect(total(window.series.queued.byDestination.main)).toBe(2);
      expect(total(window.series.delivered.bySource.partner)).toBe(1);
      expect(total(window.series.delivered.byDestination.main)).toBe(2);
      // Counts sit in the current (last) bucket.
      expect(window.series.received.bySource.form!.at(-1)).toBe(4);
      expect(window.latency.main).toEqual({ count: 2, p50Ms: 500, p95Ms: 10_000 });
    }
    const minuteKeys = await redis.ttl(`${prefix}:activity:m:${Math.floor(Date.now() / 60_000) * 60_000}`);
    expect(minuteKeys).toBeGreaterThan(3600);
    expect(minuteKeys).toBeLessThanOrEqual(7200);
  });

  it('keeps the counts of a flush Redis refused and writes them with the next one', async () => {
    const broken = new IORedis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    const recorder = new ActivityRecorder(broken, `${prefix}-retry`);
    recorder.count('spam', { source: 'form' }, 5);
    await expect(recorder.flush()).rejects.toThrow();
    // The same counts, now through a Redis that answers.
    (recorder as unknown as { redis: IORedis }).redis = redis;
    await recorder.flush();
    expect(total((await readActivity(redis, `${prefix}-retry`, 'hour')).series.spam.bySource.form)).toBe(5);
    broken.disconnect();
    await dropPrefix(`${prefix}-retry`);
  });

  it('reads percentiles as the upper bound of the histogram bucket that holds them', () => {
    const histogram = new Array<number>(LATENCY_BOUNDS_MS.length).fill(0);
    expect(percentile(histogram, 0.5)).toBeUndefined();
    histogram[0] = 90;
    histogram[LATENCY_BOUNDS_MS.length - 1] = 10;
    expect(percentile(histogram, 0.5)).toBe(100);
    // The open-ended last bucket reads as its lower bound, never Infinity (JSON has none).
    expect(percentile(histogram, 0.95)).toBe(86_400_000);
  });
});

describe('the overview and destinations data of a running gateway', () => {
  let stack: Stack;
  let cookie: string;

  beforeAll(async () => {
    stack = await startStack('console-overview', {
      overrides: { acceptAnyForm: false, forms: { contact: { destination: 'main', honeypot: 'website' } } } as never,
    });
    const login = await fetch(`${stack.api.url}/admin/login`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: 'admin-secret' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(login.headers.get('location')).toBe('/admin/overview');
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const overview = async (range = 'hour'): Promise<Overview> => (await (await fetch(`${stack.api.url}/admin/api/overview?range=${range}`, { headers: { cookie } })).json()) as Overview;

  it('counts leads received, queued, delivered and spam per source and destination, with latency, bucket and operating-limit use', async () => {
    for (const email of ['one@example.com', 'two@example.com']) expect((await postJson(`${stack.api.url}/v1/forms/contact`, { email })).status).toBe(202);
    expect((await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'bot@example.com', website: 'spam.example' })).status).toBe(202);
    await waitFor(async () => stack.sim.leads().length === 2, 'two leads delivered');

    const seen = await waitFor(async () => {
      const o = await overview();
      return total(o.activity.series.delivered.byDestination.main) === 2 && o.destinations[0]?.use.operating ? o : undefined;
    }, 'the overview to count the deliveries', 10_000, 200);
    const { series, latency } = seen.activity;
    expect(total(series.received.bySource.form)).toBe(3);
    expect(total(series.spam.bySource.form)).toBe(1);
    expect(total(series.queued.bySource.form)).toBe(2);
    expect(total(series.queued.byDestination.main)).toBe(2);
    expect(total(series.delivered.bySource.form)).toBe(2);
    expect(total(series.dead.byDestination.main)).toBe(0);
    expect(latency['*']).toMatchObject({ count: 2 });
    expect(latency.main!.p95Ms).toBeGreaterThan(0);

    const [main] = seen.destinations;
    expect(main).toMatchObject({ name: 'main', health: { open: false } });
    expect(main!.use.operating!.limitSeconds).toBe(stack.config.destinations.main!.operatingLimitSeconds);
    expect(seen.deadLetters).toBe(0);

    // Ten requests drawn on the shared bucket (it drains 2/s): the console reads it as the workers left it.
    const redis = new IORedis(stack.config.redis.url);
    const limiter = new PortalRateLimiter(redis, stack.prefix, 'main', PLAN_BUCKETS.standard);
    for (let i = 0; i < 10; i++) expect(await limiter.acquire()).toBe(0);
    const { bucket } = (await overview()).destinations[0]!.use;
    redis.disconnect();
    // Capacity: the plan's 50 less 10% headroom.
    expect(bucket.capacity).toBe(45);
    expect(bucket.level).toBeGreaterThanOrEqual(6);
    expect(bucket.level).toBeLessThanOrEqual(10 + 3);

    expect(total((await overview('week')).activity.series.delivered.byDestination.main)).toBe(2);
  });

  it('serves the page and its live part only to a signed-in operator', async () => {
    const page = await fetch(`${stack.api.url}/admin/overview?range=day&by=destination`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('data-live-url="/admin/overview/live?range=day&amp;by=destination"');
    expect(text).toMatch(/<svg class="chart"/);
    const live = await fetch(`${stack.api.url}/admin/overview/live?range=day`, { headers: { cookie } });
    expect(await live.text()).toContain('data-chart="delivered"');
    for (const path of ['/admin/overview', '/admin/overview/live', '/admin/api/overview']) {
      const anonymous = await fetch(`${stack.api.url}${path}`, { redirect: 'manual' });
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('location')).toBe('/admin/login');
    }
  });

  it('answers /readyz with details that match the Ready schema of openapi.yaml', async () => {
    const doc = parse(readFileSync(join(__dirname, '../../schemas/openapi.yaml'), 'utf8')) as { components: { schemas: Record<string, unknown> } };
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'openapi', components: doc.components });
    const body = await (await fetch(`${stack.api.url}/readyz`)).json();
    expect(body).toMatchObject({ status: 'ready', destinations: { main: { open: false } }, spool: { leads: 0 } });
    const validate = ajv.compile({ $ref: 'openapi#/components/schemas/Ready' });
    expect(validate(body) ? [] : validate.errors).toEqual([]);
  });
});
