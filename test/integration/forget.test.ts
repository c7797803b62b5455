import { createHash } from 'node:crypto';
import IORedis from 'ioredis';
import { forgetPerson } from '../../src/queue/forget-person';
import { LeadQueue } from '../../src/queue/lead-queue';
import { SHARED_REDIS_URL } from '../helpers/redis';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

const JANE = { email: 'Jane.Forget@Example.com', phone: '+49 30 1234567' };
const JANE_TRACES = ['jane.forget@example.com', 'Jane.Forget', '+49301234567', '30 1234567', sha('jane.forget@example.com'), sha('+49301234567')];
const BOB = 'bob.stays@example.com';

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let stack: Stack;
const redis = new IORedis(SHARED_REDIS_URL);
const admin = { authorization: 'Bearer admin-secret' };

/** Every key of the test's prefix with its whole value, as text: what a full scan of Redis sees. */
async function dumpPrefix(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'string' ? await redis.get(key)
        : type === 'hash' ? JSON.stringify(await redis.hgetall(key))
        : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1))
        : type === 'set' ? JSON.stringify(await redis.smembers(key))
        : type === 'zset' ? JSON.stringify(await redis.zrange(key, 0, -1))
        : type === 'stream' ? JSON.stringify(await redis.xrange(key, '-', '+'))
        : '';
      out.push(`${key} ${value}`);
    }
  } while (cursor !== '0');
  return out;
}

async function lead(body: Record<string, string>): Promise<string> {
  const response = await postJson(`${stack.api.url}/v1/forms/contact`, body);
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function status(id: string): Promise<string | undefined> {
  const answer = await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: admin });
  return answer.status === 200 ? ((await answer.json()) as { status: string }).status : undefined;
}

beforeAll(async () => {
  stack = await startStack('forget');
});

afterAll(async () => {
  await stack.stop();
  redis.disconnect();
});

describe('forgetting a person (POST /v1/admin/forget, leadgate forget)', () => {
  it('removes every copy of their data: delivered, dead-lettered and waiting leads, status records, indexes; leaves no trace in a full scan', async () => {
    const delivered = await lead({ ...JANE, name: 'Jane Forget' });
    const bob = await lead({ email: BOB });
    await waitFor(async () => (await status(delivered)) === 'delivered' && (await status(bob)) === 'delivered', 'delivered');
    // A code-less 400 is about the lead's data: dead-lettered at once.
    stack.sim.injectFault({ kind: 'error', count: 1, status: 400, error: '', description: 'bad value', method: 'crm.lead.add' });
    const dead = await lead({ email: JANE.email, message: 'second try' });
    await waitFor(async () => (await status(dead)) === 'dead', 'dead-lettered');
    // The portal refuses the webhook: the destination pauses and the next lead waits in its queue.
    stack.sim.injectFault({ kind: 'error', count: 1, status: 401, error: 'INVALID_CREDENTIALS', description: 'Invalid request credentials' });
    const waiting = await lead({ phone: JANE.phone });
    await waitFor(async () => (await redis.exists(`${stack.prefix}:breaker:main`)) === 1, "destination paused");

    const before = (await dumpPrefix(stack.prefix)).join('\n');
    expect(JANE_TRACES.some((t) => before.includes(t))).toBe(true);

    const answer = await postJson(`${stack.api.url}/v1/admin/forget`, { contact: 'jane.forget@example.com' }, admin);
    expect(answer.status).toBe(200);
    const report = (await answer.json()) as { leadIds: string[]; removed: Record<string, number> };
    expect(report.leadIds.sort()).toEqual([delivered, dead].sort());
    // One status record per lead (the delivered one's single attempt is in its record, no list).
    expect(report.removed).toMatchObject({ statusRecords: 2, deadLetters: 1, jobs: 1 });

    // The phone is a second way to the same person: the waiting lead has only the phone.
    const byPhone = await postJson(`${stack.api.url}/v1/admin/forget`, { contact: '+49 (30) 123-4567' }, admin);
    expect(((await byPhone.json()) as { leadIds: string[] }).leadIds).toEqual([waiting]);

    const after = await dumpPrefix(stack.prefix);
    for (const trace of JANE_TRACES) expect(after.filter((line) => line.toLowerCase().includes(trace.toLowerCase()))).toEqual([]);
    for (const id of [delivered, dead, waiting]) expect(after.filter((line) => line.includes(id))).toEqual([]);
    expect(await status(bob)).toBe('delivered');
    expect(after.join('\n')).toContain(BOB);
  });

  it('finds data written before the contact index by scanning the jobs', async () => {
    const queue = new LeadQueue(redis, { prefix: stack.prefix, destinations: ['main'], attempts: 1, deliveredRetentionSeconds: 60 });
    const old = { id: 'lg_oldlead0001', source: { kind: 'form' as const, name: 'contact' }, destination: 'main', receivedAt: new Date().toISOString(), fields: { EMAIL: [{ VALUE: 'old@example.com', VALUE_TYPE: 'WORK' }] }, utm: {}, tracking: { clickIds: {} }, extras: [], trackingField: 'COMMENTS' };
    await queue.enqueue(old);
    await queue.close();
    await redis.del(`${stack.prefix}:contact-index:since`);
    const report = await forgetPerson({ redis, prefix: stack.prefix, destinations: ['main'], retentionSeconds: 3600 }, 'OLD@example.com');
    expect(report).toMatchObject({ leadIds: ['lg_oldlead0001'], scanned: true, removed: { jobs: 1 } });
    expect((await dumpPrefix(stack.prefix)).filter((line) => line.includes('old@example.com'))).toEqual([]);
  });

  it('refuses a request without a valid bearer token or contact', async () => {
    expect((await postJson(`${stack.api.url}/v1/admin/forget`, { contact: 'x@example.com' })).status).toBe(401);
    const bad = await postJson(`${stack.api.url}/v1/admin/forget`, { contact: 'nobody' }, admin);
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: string }).error).toBe('validation_failed');
  });
});
