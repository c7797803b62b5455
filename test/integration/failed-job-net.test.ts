import { Job, Queue, UnrecoverableError } from 'bullmq';
import IORedis from 'ioredis';
import { deliveryQueueName } from '../../src/queue/jobs';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { leadView, metricSum, metricsOf, submitLeads, takeJobAndDie } from '../helpers/delivery-probes';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

let stack: Stack;
let workers: RunningLeadgate[] = [];

beforeEach(async () => {
  // maxStalls 0: a job whose worker died is failed by BullMQ itself, outside any processor.
  stack = await startStack('failed-job-net', { role: 'api', overrides: { delivery: { lockDurationMs: 1000, maxStalls: 0 } } });
});

afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await stack.stop();
});

async function failedJobs(): Promise<number> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  try {
    return await queue.getFailedCount();
  } finally {
    await queue.close();
  }
}

async function deadLettered(id: string): Promise<void> {
  await waitFor(async () => (await leadView(stack.api.url, id)).status === 'dead', 'the lead dead-lettered', 15_000, 100);
}

describe('#8 a job BullMQ fails outside the processor', () => {
  it('is dead-lettered once, however many workers hear of it, and leaves BullMQ\'s failed set', async () => {
    const [id] = await submitLeads(stack.api.url, 1, 'stalled');
    await takeJobAndDie(stack);
    workers = await Promise.all([1, 2].map(() => startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger })));

    await deadLettered(id!);
    await sleep(1500);
    const view = await leadView(stack.api.url, id!);
    expect(view.history.filter((a) => a.outcome === 'dead')).toHaveLength(1);
    expect(view.lastError).toMatch(/stalled/);
    const counted = await Promise.all(workers.map(async (w) => metricSum(await metricsOf(w.url), 'leadgate_leads_dead_lettered_total', { code: 'STALLED' })));
    expect(counted[0]! + counted[1]!).toBe(1);
    expect(metricSum(await metricsOf(stack.api.url), 'leadgate_dead_letters')).toBe(1);
    await waitFor(async () => (await failedJobs()) === 0, 'the failed job removed', 5000, 100);
  });

  it('that failed while no worker was listening is dead-lettered when a worker starts', async () => {
    const [id] = await submitLeads(stack.api.url, 1, 'unheard');
    const taken = await takeJobAndDie(stack, 30_000);
    const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
    const job = (await Job.fromId(queue, taken.id!))!;
    await job.moveToFailed(new UnrecoverableError('lost its lock while no leadgate worker ran'), 'a-worker-that-died');
    await queue.close();
    expect(await failedJobs()).toBe(1);

    workers = [await startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger })];
    await deadLettered(id!);
    expect(metricSum(await metricsOf(stack.api.url), 'leadgate_dead_letters')).toBe(1);
    await waitFor(async () => (await failedJobs()) === 0, 'the failed job removed', 5000, 100);
  });

  // A claimant that dies between taking the claim and writing the entry must not take the lead with
  // it: the job stays in the failed set until the entry exists (or the claim expires and a sweep
  // dead-letters it).
  it('is kept in the failed set while another process holds the claim but never wrote the dead letter', async () => {
    const [id] = await submitLeads(stack.api.url, 1, 'claimed');
    const taken = await takeJobAndDie(stack, 30_000);
    const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
    const job = (await Job.fromId(queue, taken.id!))!;
    await job.moveToFailed(new UnrecoverableError('lost its lock'), 'a-worker-that-died');
    await queue.close();
    // A process claimed the lead for the dead-letter queue and died before writing the entry.
    const redis = new IORedis(stack.config.redis.url);
    await redis.set(`${stack.prefix}:dlq-claim:${id}`, '1', 'EX', 600);
    redis.disconnect();

    workers = [await startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger })];
    await sleep(2000);
    const inDlq = metricSum(await metricsOf(stack.api.url), 'leadgate_dead_letters') === 1;
    expect(inDlq || (await failedJobs()) === 1).toBe(true);
  });
});
