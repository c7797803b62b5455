import { Queue } from 'bullmq';
import { deliveryQueueName, readDeliverLeadJob, type DeliverLeadJob } from '../../src/queue/jobs';
import { startLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { copiesOf, leadView, submitLeads } from '../helpers/delivery-probes';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('job-payload-versions', { role: 'api' });
});

afterAll(async () => {
  await stack.stop();
});

describe('#9 a job queued by an older leadgate', () => {
  it('(payload v1) is still delivered by this worker', async () => {
    const [id] = await submitLeads(stack.api.url, 1, 'v1');
    const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
    const job = (await queue.getJob(id!))!;
    const { lead } = readDeliverLeadJob(job.data as DeliverLeadJob, job.id);
    await job.remove();
    await queue.add(job.name, { v: 1, lead }, { jobId: id!, attempts: job.opts.attempts, backoff: job.opts.backoff });
    await queue.close();

    await stack.api.stop();
    stack.api = await startLeadgate({ config: stack.config, role: 'all', logger: silentLogger });
    await waitFor(async () => (await leadView(stack.api.url, id!)).status === 'delivered', 'the v1 job delivered', 10_000, 50);
    expect(copiesOf(stack.sim, id!)).toBe(1);
  });
});
