import { Job, Queue } from 'bullmq';
import IORedis from 'ioredis';
import type { Lead } from '../../src/lead/lead';
import { newLeadId } from '../../src/lead/lead-id';
import { DELIVER_LEAD_JOB, deliverLeadJob } from '../../src/queue/jobs';
import { LeadQueue } from '../../src/queue/lead-queue';
import { addJobsScript, JOB_SCRIPT_KEYS, jobScriptArgs, jobScriptKeys, standardJobArgs } from '../../src/queue/standard-job';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';

function lead(overrides: Partial<Lead> = {}): Lead {
  return {
    id: newLeadId(),
    source: { kind: 'form', name: 'contact' },
    destination: 'main',
    receivedAt: new Date().toISOString(),
    fields: { NAME: 'Jane', EMAIL: [{ VALUE: 'jane@example.com', VALUE_TYPE: 'WORK' }], COMMENTS: 'Grüße aus Köln ✓' },
    utm: { source: 'google', medium: 'cpc' },
    tracking: { clickIds: { gclid: 'EAIaIQ' }, pageUrl: 'https://example.com/?utm_source=google' },
    extras: [],
    trackingField: 'COMMENTS',
    ...overrides,
  };
}

/** What BullMQ's own `Job.addJob` hands its job script for the lead, and the job's timestamp. */
async function bullmqArgs(queue: Queue, leads: LeadQueue, l: Lead, data: unknown): Promise<{ name: string; args: unknown[]; timestamp: number }> {
  let sent: { name: string; args: unknown[] } | undefined;
  const transaction = {
    runCommand(name: string, args: unknown[]) {
      sent = { name, args };
      return transaction;
    },
  };
  const job = new Job(queue, DELIVER_LEAD_JOB, data, leads.jobOptions(l), l.id);
  void job.addJob(transaction as never).catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  return { ...sent!, timestamp: job.timestamp };
}

/** A delivery queue of its own on the shared Redis, closed and dropped after the describe's tests. */
function ownQueue(name: string): { prefix: string; redis: IORedis; leads: LeadQueue; queue: Queue } {
  const prefix = uniquePrefix(name);
  const redis = new IORedis(SHARED_REDIS_URL, { maxRetriesPerRequest: null });
  const leads = new LeadQueue(redis, { prefix, destinations: ['main'], attempts: 7, deliveredRetentionSeconds: 600 });
  afterAll(async () => {
    await leads.close();
    await dropPrefix(prefix);
    redis.disconnect();
  });
  return { prefix, redis, leads, queue: leads.queueFor('main') };
}

describe('a delivery job\'s arguments for BullMQ\'s job script', () => {
  const { leads, queue } = ownQueue('standard-job');

  const cases: Array<[string, Lead, { reconcileFirst?: boolean }]> = [
    ['a web form lead (payload v4)', lead(), {}],
    ['a lead whose own UTM key reads as a letter (payload v3)', lead({ utm: { s: 'x' } as never }), {}],
    ['a replayed lead that reconciles first', lead(), { reconcileFirst: true }],
    ['a lead from a platform, with its own id and no tracking', lead({ source: { kind: 'meta', name: 'page', externalId: '1234567890' }, utm: {}, tracking: { clickIds: {} } }), {}],
  ];

  it.each(cases)('are byte for byte what Job.addJob sends: %s', async (_name, l, options) => {
    const data = deliverLeadJob(l, options);
    const theirs = await bullmqArgs(queue, leads, l, data);
    const ours = standardJobArgs(queue.keys, DELIVER_LEAD_JOB, JSON.stringify(data), leads.jobOptions(l), theirs.timestamp);

    expect(theirs.name).toMatch(/^addStandardJob:/);
    expect(ours.map((a) => (Buffer.isBuffer(a) ? a.toString('hex') : a))).toEqual(theirs.args.map((a) => (Buffer.isBuffer(a) ? a.toString('hex') : a)));
  });
});

describe('the script that runs BullMQ\'s job script for many jobs in one call', () => {
  const { prefix, redis, leads, queue } = ownQueue('add-jobs');

  it('stores each job as BullMQ\'s script does alone, and answers for each in order, an error for the one it failed on', async () => {
    await queue.waitUntilReady();
    const scripts = (redis as unknown as { scriptsSet: Record<string, { lua: string; numberOfKeys: number }> }).scriptsSet;
    const name = Object.keys(scripts).find((n) => n.startsWith('addStandardJob:'))!;
    const [first, broken, last] = [lead(), lead(), lead()];
    await redis.set(`${prefix}:${queue.name}:${broken.id}`, 'not a job');
    const args = [first, broken, last].flatMap((l) => jobScriptArgs(queue.keys, DELIVER_LEAD_JOB, JSON.stringify(deliverLeadJob(l)), leads.jobOptions(l), Date.now()));

    const replies = (await redis.eval(addJobsScript(scripts[name]!.lua), JOB_SCRIPT_KEYS, ...jobScriptKeys(queue.keys), ...args)) as unknown[];

    expect(replies[0]).toBe(first.id);
    expect(replies[1]).toBeInstanceOf(Error);
    expect(String(replies[1])).toMatch(/WRONGTYPE/);
    expect(replies[2]).toBe(last.id);
    const added = await queue.add(DELIVER_LEAD_JOB, deliverLeadJob(lead()), leads.jobOptions(lead()));
    for (const l of [first, last]) {
      const job = await queue.getJob(l.id);
      expect(await job?.getState()).toBe('waiting');
      expect(job?.data).toEqual(deliverLeadJob(l));
      expect(Object.keys(job!.opts).sort()).toEqual(Object.keys(added.opts).sort());
    }
  });
});
