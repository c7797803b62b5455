import IORedis from 'ioredis';
import type { Lead } from '../../src/lead/lead';
import { newLeadId } from '../../src/lead/lead-id';
import { contactHash } from '../../src/lead/contact-key';
import { contactLeadIds } from '../../src/queue/contact-index';
import { IntakeWrite } from '../../src/queue/intake-write';
import { DELIVER_LEAD_JOB, deliverLeadJob, deliveryQueueName } from '../../src/queue/jobs';
import { LeadLedger } from '../../src/queue/lead-ledger';
import { LeadQueue, QueueUnavailableError } from '../../src/queue/lead-queue';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { silentLogger } from '../../src/shared/logger';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';

function lead(destination = 'main', id = newLeadId()): Lead {
  return {
    id,
    source: { kind: 'form', name: 'contact' },
    destination,
    receivedAt: new Date().toISOString(),
    fields: { NAME: 'Jane', EMAIL: [{ VALUE: 'jane@example.com', VALUE_TYPE: 'WORK' }], PHONE: [{ VALUE: '+49301234567', VALUE_TYPE: 'WORK' }] },
    utm: {},
    tracking: { clickIds: {} },
    extras: [],
    trackingField: 'COMMENTS',
  };
}

interface Opened {
  state: IORedis;
  bull: IORedis;
  queue: LeadQueue;
  write: IntakeWrite;
  close(): Promise<void>;
}

async function open(url: string, prefix: string): Promise<Opened> {
  const state = new IORedis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const bull = new IORedis(url, { maxRetriesPerRequest: 1 });
  await Promise.all([state, bull].map((r) => new Promise((resolve) => r.once('ready', resolve))));
  const queue = new LeadQueue(bull, { prefix, destinations: ['main', 'other'], attempts: 5, deliveredRetentionSeconds: 600, enqueueTimeoutMs: 1000 });
  const ledger = new LeadLedger(state, prefix, 3600);
  const write = await IntakeWrite.open({ state, bullmq: bull, queue, commands: [ledger.queuedCommands], prefix, logger: silentLogger, enqueueTimeoutMs: 1000 });
  return {
    state, bull, queue, write,
    async close() {
      await queue.close();
      state.disconnect();
      bull.disconnect();
    },
  };
}

describe('IntakeWrite: a lead\'s job, status record and contact index in one round trip', () => {
  const prefix = uniquePrefix('intake-write');
  let it_: Opened;

  beforeAll(async () => {
    it_ = await open(SHARED_REDIS_URL, prefix);
  });
  afterAll(async () => {
    await it_.close();
    await dropPrefix(prefix);
  });

  it('stores the same job Queue.add would, beside the status record and the contact index', async () => {
    const written = lead();
    const added = lead();
    await it_.write.enqueue(written);
    await it_.queue.queueFor('main').add(DELIVER_LEAD_JOB, deliverLeadJob(added), it_.queue.jobOptions(added));

    const [viaWrite, viaAdd] = await Promise.all([it_.queue.queueFor('main').getJob(written.id), it_.queue.queueFor('main').getJob(added.id)]);
    expect(viaWrite).toBeDefined();
    expect(viaWrite!.name).toBe(viaAdd!.name);
    expect({ ...viaWrite!.opts, jobId: added.id }).toEqual(viaAdd!.opts);
    expect(viaWrite!.data).toEqual(deliverLeadJob(written));
    expect(await viaWrite!.getState()).toBe('waiting');

    expect(await it_.state.hgetall(`${prefix}:lead:${written.id}`)).toMatchObject({ status: 'queued', source: 'form:contact', destination: 'main', receivedAt: written.receivedAt });
    expect(await contactLeadIds(it_.state, prefix, contactHash('jane@example.com'))).toContain(written.id);
    expect(await contactLeadIds(it_.state, prefix, contactHash('+49301234567'))).toContain(written.id);
  });

  it('writes leads of several destinations in one call, each on its own queue', async () => {
    const leads = [lead('main'), lead('other'), lead('main')];
    await it_.write.enqueueMany(leads);
    for (const l of leads) {
      expect(await (await it_.queue.queueFor(l.destination).getJob(l.id))?.getState()).toBe('waiting');
      expect(await it_.state.hget(`${prefix}:lead:${l.id}`, 'status')).toBe('queued');
    }
  });

  it('queues the same lead id again as the same job, and keeps a status a worker already recorded', async () => {
    const again = lead();
    await it_.write.enqueue(again);
    await it_.state.hset(`${prefix}:lead:${again.id}`, 'status', 'delivered');
    await it_.write.enqueue(again);
    expect(await it_.queue.queueFor('main').getJobCountByTypes('waiting')).toBe(5);
    expect(await it_.state.hget(`${prefix}:lead:${again.id}`, 'status')).toBe('delivered');
  });

  it('sends the leads of concurrent posts made in one turn of the event loop in one pipeline (group commit)', async () => {
    const pipelines = jest.spyOn(it_.state, 'pipeline');
    try {
      const leads = Array.from({ length: 20 }, () => lead());
      await Promise.all(leads.map((l) => it_.write.enqueue(l)));
      expect(pipelines).toHaveBeenCalledTimes(1);
      for (const l of leads) expect(await (await it_.queue.queueFor('main').getJob(l.id))?.getState()).toBe('waiting');
      // The next turn starts a pipeline of its own.
      await it_.write.enqueue(lead());
      expect(pipelines).toHaveBeenCalledTimes(2);
    } finally {
      pipelines.mockRestore();
    }
  });

  it('fails only the post whose job Redis refused, not the others sharing its pipeline', async () => {
    const refused = lead();
    const others = [lead(), lead()];
    // A key of the wrong type where BullMQ keeps the job: its script fails with WRONGTYPE.
    await it_.state.set(`${prefix}:${deliveryQueueName('main')}:${refused.id}`, 'not a job');
    const outcomes = await Promise.allSettled([others[0]!, refused, others[1]!].map((l) => it_.write.enqueue(l)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(QueueUnavailableError);
    for (const l of others) expect(await (await it_.queue.queueFor('main').getJob(l.id))?.getState()).toBe('waiting');
  });

  it('acknowledges a post whose job is stored even when a command beside it failed, and only logs that', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_o: unknown, message: string) => warnings.push(message) } as unknown as typeof silentLogger;
    const ledger = new LeadLedger(it_.state, prefix, 3600);
    const write = await IntakeWrite.open({ state: it_.state, bullmq: it_.bull, queue: it_.queue, commands: [ledger.queuedCommands], prefix, logger, enqueueTimeoutMs: 1000 });
    const broken = lead();
    const fine = lead();
    // The status record's key holds a string: the ledger's script fails, the job is still stored.
    await it_.state.set(`${prefix}:lead:${broken.id}`, 'not a hash');
    await Promise.all([write.enqueue(fine), write.enqueue(broken)]);
    expect(await (await it_.queue.queueFor('main').getJob(broken.id))?.getState()).toBe('waiting');
    expect(warnings).toEqual(['intake: a command beside the jobs failed']);
  });
});

describe('IntakeWrite when Redis misbehaves', () => {
  let redis: PrivateRedis;
  let it_: Opened;
  const prefix = 'lgtest-intake-write-faults';

  beforeAll(async () => {
    // A Redis of our own: the spec flushes its script cache and stops it, which a shared server must never see.
    redis = await startPrivateRedis();
    it_ = await open(redis.url, prefix);
  });
  afterAll(async () => {
    await it_.close();
    await redis.destroy();
  });

  it('still queues after Redis lost its script cache (SCRIPT FLUSH): ioredis resends the job script', async () => {
    await it_.write.enqueue(lead());
    await it_.state.script('FLUSH');
    const after = lead();
    await it_.write.enqueue(after);
    expect(await (await it_.queue.queueFor('main').getJob(after.id))?.getState()).toBe('waiting');
    expect(await it_.state.hget(`${prefix}:lead:${after.id}`, 'status')).toBe('queued');
  });

  it('rejects with QueueUnavailableError when Redis is gone, so nothing is acknowledged', async () => {
    await redis.stop();
    await expect(it_.write.enqueue(lead())).rejects.toBeInstanceOf(QueueUnavailableError);
  });
});
