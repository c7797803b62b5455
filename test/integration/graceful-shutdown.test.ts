import { Queue } from 'bullmq';
import { deliveryQueueName } from '../../src/queue/jobs';
import { startLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor, sleep } from '../helpers/wait-for';

let stack: Stack;

beforeAll(async () => {
  // A slow portal (1 request/s, one lead per request) so leads are still waiting when we stop.
  stack = await startStack('graceful-shutdown', {
    destination: { rateLimit: { drainPerSecond: 1, limit: 2 } },
    sim: { bucket: { drainPerSecond: 1, limit: 2 } },
    overrides: { delivery: { maxBatchSize: 1, shutdownTimeoutMs: 3000 } },
  });
});

afterAll(async () => {
  await stack.stop();
});

describe('graceful shutdown', () => {
  it('hands leads that are waiting for request budget back to the queue, unspent, and another worker delivers each once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const response = await postJson(`${stack.api.url}/v1/forms/contact`, { email: `shutdown${i}@example.com` });
      ids.push(((await response.json()) as { id: string }).id);
    }
    await waitFor(() => stack.sim.leads().length >= 1, 'first delivery');
    const started = Date.now();
    await stack.api.stop();
    expect(Date.now() - started).toBeLessThan(3000);

    const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
    const waiting = await queue.getJobs(['wait', 'delayed', 'prioritized']);
    const delivered = stack.sim.leads().length;
    expect(waiting.length + delivered).toBe(8);
    expect(waiting.every((job) => job.attemptsMade === 0)).toBe(true);
    await queue.close();

    stack.api = await startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger });
    await waitFor(() => stack.sim.leads().length >= 8, 'all eight delivered', 20_000, 100);
    await sleep(300);
    expect(stack.sim.leads().map((l) => String(l.fields.ORIGIN_ID)).sort()).toEqual([...ids].sort());
  });
});
