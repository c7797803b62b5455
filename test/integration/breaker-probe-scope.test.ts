import { Queue } from 'bullmq';
import { deliveryQueueName } from '../../src/queue/jobs';
import { copiesOf, leadView, submitLeads } from '../helpers/delivery-probes';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

let stack: Stack | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

interface Readyz {
  status: string;
  destinations: Record<string, { open: boolean; code?: string }>;
}

async function readyz(s: Stack): Promise<Readyz> {
  return (await (await fetch(`${s.api.url}/readyz`)).json()) as Readyz;
}

async function pauseQueueBehindTheBreakersBack(s: Stack): Promise<void> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: s.config.redis.url }, prefix: s.prefix });
  await queue.pause();
  await queue.close();
}

describe('#5 a destination paused because the webhook lacks the crm scope', () => {
  it('stays paused, probe after probe, until the scope is granted; then its lead is delivered once', async () => {
    // `profile` needs no scope: a probe calling it would resume the destination every interval.
    stack = await startStack('breaker-scope', { destination: { probeIntervalMs: 150 }, sim: { scopes: ['user'] } });
    const s = stack;
    const [id] = await submitLeads(s.api.url, 1, 'scope');
    await waitFor(async () => (await readyz(s)).destinations.main?.code === 'insufficient_scope', 'paused for insufficient_scope', 10_000);

    // Ten probe intervals: the breaker never closes and the lead is not sent again.
    for (let i = 0; i < 10; i += 1) {
      expect((await readyz(s)).destinations.main).toMatchObject({ open: true, code: 'insufficient_scope' });
      await sleep(150);
    }
    expect(s.sim.calls().filter((c) => c.method === 'crm.lead.add')).toHaveLength(1);
    expect(s.sim.calls().some((c) => c.method === 'crm.lead.fields')).toBe(true);

    s.sim.setScopes(['crm', 'user']);
    await waitFor(async () => (await leadView(s.api.url, id!)).status === 'delivered', 'delivered once the scope is granted', 10_000);
    expect(copiesOf(s.sim, id!)).toBe(1);
    expect((await readyz(s)).destinations.main).toEqual({ open: false });
  });
});

describe("#5 the queue's paused flag and the breaker's record", () => {
  it('/readyz reports a queue paused without a breaker record as degraded (QUEUE_PAUSED)', async () => {
    stack = await startStack('breaker-queue-paused', { role: 'api' });
    await pauseQueueBehindTheBreakersBack(stack);
    const ready = await readyz(stack);
    expect(ready.status).toBe('degraded');
    expect(ready.destinations.main).toMatchObject({ open: true, code: 'QUEUE_PAUSED' });
  });

  it('a worker resumes a queue paused without a breaker record on its next tick, and the waiting lead is delivered', async () => {
    stack = await startStack('breaker-queue-sync', { destination: { probeIntervalMs: 200 } });
    const s = stack;
    await pauseQueueBehindTheBreakersBack(s);
    const [id] = await submitLeads(s.api.url, 1, 'sync');
    await waitFor(async () => (await leadView(s.api.url, id!)).status === 'delivered', 'delivered after the queue was resumed', 10_000);
    expect((await readyz(s)).status).toBe('ready');
  });
});
