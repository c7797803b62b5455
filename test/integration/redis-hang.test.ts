import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/**
 * A Redis that hangs (SIGSTOP: connections stay open, nothing answers) under a running API. Without
 * help every request waits out the command timeouts of its Redis calls (the rate limiter's, then the
 * write's: about 6 s) before it is spooled. The connection watchdog (`redis.hangTimeoutMs`) drops the
 * API's connections once a PING goes unanswered, so later requests are spooled at once; once Redis
 * answers again the spool drains and every lead is delivered once.
 */
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(async () => {
  redis.thaw();
  await redis.destroy();
});

/** Posts `n` leads one after the other while Redis is stopped; how long each answer took, and the ids. */
async function postWhileHung(stack: Stack, n: number): Promise<{ took: number[]; ids: string[] }> {
  const took: number[] = [];
  const ids: string[] = [];
  redis.freeze();
  try {
    for (let i = 0; i < n; i++) {
      const started = Date.now();
      const answer = await postJson(`${stack.api.url}/v1/forms/contact`, { email: `hung${i}@example.com` });
      took.push(Date.now() - started);
      expect(answer.status).toBe(202);
      const body = (await answer.json()) as { id: string; status: string };
      expect(body.status).toBe('spooled');
      ids.push(body.id);
    }
  } finally {
    redis.thaw();
  }
  return { took, ids };
}

async function deliveredOnce(stack: Stack, ids: string[]): Promise<void> {
  const copies = (id: string) => stack.sim.leads().filter((l) => l.fields.ORIGIN_ID === id).length;
  await waitFor(() => ids.every((id) => copies(id) >= 1), 'every spooled lead delivered', 30_000);
  await new Promise((r) => setTimeout(r, 1000));
  for (const id of ids) expect(copies(id)).toBe(1);
}

describe('a Redis that hangs under a running API', () => {
  it('with the watchdog (the default): after the first requests, each is spooled at once; every lead is delivered once when Redis answers', async () => {
    const stack = await startStack('redis-hang', { redisUrl: redis.url });
    try {
      const { took, ids } = await postWhileHung(stack, 8);
      // Upper bounds only, with room for a loaded machine: without the watchdog this is 8 × ~6 s.
      expect(took.reduce((a, b) => a + b, 0)).toBeLessThan(15_000);
      expect(took.slice(4).every((ms) => ms < 1500)).toBe(true);
      await deliveredOnce(stack, ids);
    } finally {
      await stack.stop();
    }
  }, 90_000);

  it('without it (hangTimeoutMs: 0), each request waits out its command timeouts: what the watchdog saves', async () => {
    const stack = await startStack('redis-hang-off', { redisUrl: redis.url, overrides: { redis: { hangTimeoutMs: 0 } } as never });
    try {
      const { took, ids } = await postWhileHung(stack, 2);
      // Lower bounds: each answer came only after a 3 s command timeout at least.
      expect(took.every((ms) => ms >= 3000)).toBe(true);
      await deliveredOnce(stack, ids);
    } finally {
      await stack.stop();
    }
  }, 90_000);
});
