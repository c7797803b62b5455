/**
 * The per-address limit's store: every hit is counted in Redis, but only hits near the limit wait
 * for the count (the others are sent together every UNAWAITED_FLUSH_MS). Shown against a private Redis that is frozen (SIGSTOP) mid-way: hits well under the
 * limit are still answered, the one at half the limit waits until Redis answers, and then Redis holds
 * every hit.
 */
import IORedis from 'ioredis';
import type { Options } from 'express-rate-limit';
import { addressKey, SharedRateLimitStore, UNAWAITED_FLUSH_MS } from '../../src/http/shared-rate-limit-store';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { silentLogger } from '../../src/shared/logger';

let server: PrivateRedis;
let redis: IORedis;

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = new IORedis(server.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

const settled = <T>(promise: Promise<T>, ms: number): Promise<T | 'waiting'> =>
  Promise.race([promise, new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms))]);

describe('the per-address key', () => {
  it('is an IPv4 address itself, and one key for every IPv6 address of a /56 (what one subscriber is given)', () => {
    expect(addressKey({ ip: '203.0.113.9' })).toBe('203.0.113.9');
    const home = addressKey({ ip: '2001:db8:abcd:1200::1' });
    expect(addressKey({ ip: '2001:db8:abcd:12ff:ffff::42' })).toBe(home);
    expect(addressKey({ ip: '2001:db8:abcd:1300::1' })).not.toBe(home);
    // An IPv4 address written as IPv6 counts as that IPv4 address.
    expect(addressKey({ ip: '::ffff:203.0.113.9' })).toBe('203.0.113.9');
  });
});

describe('the shared rate-limit store', () => {
  it('answers hits well under the limit without waiting for Redis, waits near it, and counts every hit', async () => {
    const store = new SharedRateLimitStore({ redis, prefix: 'rl-spec:', logger: silentLogger });
    store.init({ windowMs: 60_000, limit: 10 } as Options);

    // An address not seen before waits for its count.
    expect(await store.increment('203.0.113.1')).toMatchObject({ totalHits: 1 });

    server.freeze();
    try {
      // Hits 2-4 stay under half the limit: answered from what this process knows.
      for (const hits of [2, 3, 4]) expect(await settled(store.increment('203.0.113.1'), 500)).toMatchObject({ totalHits: hits });
      // The 5th would reach half: it waits for Redis, as does an address never seen.
      const fifth = store.increment('203.0.113.1');
      const stranger = store.increment('198.51.100.2');
      expect(await settled(fifth, 300)).toBe('waiting');
      expect(await settled(stranger, 10)).toBe('waiting');
      server.thaw();
      expect(await fifth).toMatchObject({ totalHits: 5 });
      expect(await stranger).toMatchObject({ totalHits: 1 });
    } finally {
      server.thaw();
    }
    expect(await redis.get('rl-spec:203.0.113.1')).toBe('5');
  });

  it('refuses exactly where Redis says, even with another process counting the same address', async () => {
    const limit = 6;
    const [mine, other] = [0, 1].map(() => new SharedRateLimitStore({ redis, prefix: 'rl-spec-2:', logger: silentLogger }));
    for (const store of [mine!, other!]) store.init({ windowMs: 60_000, limit } as Options);
    await mine!.increment('203.0.113.7');
    await other!.increment('203.0.113.7');
    // `mine` believes 1 hit; Redis has 2. From half the limit on, every hit waits and gets Redis's count.
    const counts: number[] = [];
    for (let i = 0; i < 6; i += 1) counts.push((await mine!.increment('203.0.113.7')).totalHits);
    expect(counts.filter((n) => n > limit)).toHaveLength(8 - limit);
    expect(Number(await redis.get('rl-spec-2:203.0.113.7'))).toBe(8);
  });

  it('counts a burst from one address with one Redis call, each hit its own number', async () => {
    const store = new SharedRateLimitStore({ redis, prefix: 'rl-spec-3:', logger: silentLogger });
    store.init({ windowMs: 60_000, limit: 100 } as Options);
    await redis.config('RESETSTAT');
    const counted = await Promise.all(Array.from({ length: 20 }, () => store.increment('192.0.2.1')));
    expect(counted.map((c) => c.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await redis.get('rl-spec-3:192.0.2.1')).toBe('20');
    // The first hit of a window SETs the counter; one script call counted all twenty.
    expect(await redis.info('commandstats')).toMatch(/cmdstat_set:calls=1,/);
    expect(await redis.info('commandstats')).not.toMatch(/cmdstat_incrby/);
  });

  it('counts the hits it answered at once in Redis within the flush period, all of them in one call, not one write a turn', async () => {
    const store = new SharedRateLimitStore({ redis, prefix: 'rl-spec-4:', logger: silentLogger });
    store.init({ windowMs: 60_000, limit: 100 } as Options);
    await store.increment('192.0.2.9');
    await redis.config('RESETSTAT');
    // Ten turns of the event loop, a hit in each: all answered at once.
    for (let turn = 0; turn < 10; turn += 1) {
      expect((await store.increment('192.0.2.9')).totalHits).toBe(turn + 2);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await redis.get('rl-spec-4:192.0.2.9')).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, UNAWAITED_FLUSH_MS + 100));
    expect(await redis.get('rl-spec-4:192.0.2.9')).toBe('11');
    expect(await redis.info('commandstats')).toMatch(/cmdstat_incrby:calls=1,/);
  });
});
