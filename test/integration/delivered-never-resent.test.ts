import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { deliveryQueueName } from '../../src/queue/jobs';
import { startLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { copiesOf, createInPortal, leadCalls, leadView, submitLeads, takeJobAndDie } from '../helpers/delivery-probes';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

let stack: Stack;

beforeEach(async () => {
  // API only: the job waits until a test has played the dead worker's part, then a real worker starts.
  stack = await startStack('delivered-never-resent', { role: 'api', overrides: { delivery: { lockDurationMs: 1000 } } });
});

afterEach(async () => {
  await stack.stop();
});

async function jobState(id: string): Promise<string> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  try {
    return await queue.getJobState(id);
  } finally {
    await queue.close();
  }
}

async function startWorker(): Promise<void> {
  await stack.api.stop();
  stack.api = await startLeadgate({ config: stack.config, role: 'all', logger: silentLogger });
}

describe('#1 a lead recorded as delivered', () => {
  it('a lead the status record says is delivered is never sent again, even when its job is taken over', async () => {
    const [id] = await submitLeads(stack.api.url, 1, 'resent');
    // The dead worker's request created the lead and its delivery was recorded (unsure mark cleared);
    // it died before BullMQ heard the job complete.
    await takeJobAndDie(stack);
    const bitrixId = await createInPortal(stack.sim, id!);
    const redis = new IORedis(stack.config.redis.url);
    await redis.hset(`${stack.prefix}:lead:${id}`, { status: 'delivered', bitrixLeadId: String(bitrixId), unsure: '0' });
    redis.disconnect();
    const before = leadCalls(stack.sim).length;

    await startWorker();
    await waitFor(async () => (await jobState(id!)) === 'completed', 'the taken-over job completed', 15_000, 100);
    await sleep(300);
    expect(leadCalls(stack.sim).slice(before)).toEqual([]);
    expect(copiesOf(stack.sim, id!)).toBe(1);
    expect(await leadView(stack.api.url, id!)).toMatchObject({ status: 'delivered', bitrixLeadId: bitrixId });
  });
});

describe('#1 a job taken over from a dead worker', () => {
  it('looks the lead up before adding it, even when the unsure mark never reached Redis', async () => {
    const [id] = await submitLeads(stack.api.url, 1, 'takeover');
    // The dead worker's request committed; its write-ahead mark is not there (lost with a Redis failover).
    await takeJobAndDie(stack);
    const bitrixId = await createInPortal(stack.sim, id!);
    const before = leadCalls(stack.sim).length;

    await startWorker();
    const record = await waitFor(async () => {
      const view = await leadView(stack.api.url, id!);
      return view.status === 'delivered' ? view : undefined;
    }, 'the taken-over lead delivered', 15_000, 100);
    await sleep(300);
    expect(copiesOf(stack.sim, id!)).toBe(1);
    expect(record).toMatchObject({ bitrixLeadId: bitrixId });
    expect(record.history.map((a) => a.outcome)).toEqual(['reconciled']);
    expect(leadCalls(stack.sim).slice(before).map((c) => c.method)).toEqual(['crm.lead.list']);
  });
});
