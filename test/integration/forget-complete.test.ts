import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/**
 * `forget` on a deal destination, with the person's data in every place leadgate keeps it: status
 * records of a deal, idempotency bindings (Idempotency-Key, partner external_ref), a platform id
 * (Google lead_id), duplicate-window claims, and a lead still in the API's intake spool.
 */
const GOOGLE_KEY = 'forget-google-key-0001';
const GOOGLE_LEAD = `forget-google-lead-${Date.now()}`;
const JANE = { email: 'jane.deal@example.com', phone: '+49 30 7654321' };
const JANE_TRACES = [JANE.email, '+49307654321', '30 7654321', sha(JANE.email), sha('+49307654321'), GOOGLE_LEAD, 'jane-ref-0001'];
const partner = generatePartnerKey();
const admin = { authorization: 'Bearer admin-secret' };

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let redis: PrivateRedis;
let stack: Stack;
let spoolDirectory: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  spoolDirectory = mkdtempSync(join(tmpdir(), 'leadgate-forget-spool-'));
  stack = await startStack('forget-complete', {
    redisUrl: redis.url,
    destination: { entity: 'deal' },
    overrides: {
      // The drainer waits a minute between passes: the spooled lead is still in the spool when forget runs.
      intake: { spool: { directory: spoolDirectory, drainIntervalMs: 60_000 } },
      forms: { contact: { destination: 'main', duplicateWindowMinutes: 10 }, plain: { destination: 'main' } },
      sources: { google: { keys: [GOOGLE_KEY], destination: 'main' }, partners: { acme: { keyHashes: [partner.hash] } } },
    },
  });
});

afterAll(async () => {
  await stack.stop();
  await redis.destroy();
  rmSync(spoolDirectory, { recursive: true, force: true });
});

/** Every key with its whole value, as text: what a full scan of this Redis sees. */
async function dumpAll(client: IORedis): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await client.type(key);
      const value =
        type === 'string' ? await client.get(key)
        : type === 'hash' ? JSON.stringify(await client.hgetall(key))
        : type === 'list' ? JSON.stringify(await client.lrange(key, 0, -1))
        : type === 'set' ? JSON.stringify(await client.smembers(key))
        : type === 'zset' ? JSON.stringify(await client.zrange(key, 0, -1))
        : type === 'stream' ? JSON.stringify(await client.xrange(key, '-', '+'))
        : '';
      out.push(`${key} ${value}`);
    }
  } while (cursor !== '0');
  return out;
}

async function accepted(response: Response): Promise<{ id: string; status: string }> {
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string; status: string };
}

async function status(id: string): Promise<string | undefined> {
  const answer = await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: admin });
  return answer.status === 200 ? ((await answer.json()) as { status: string }).status : undefined;
}

const googleLead = (leadId: string): string =>
  readFileSync(join(__dirname, '../fixtures/google/send-test-data.json'), 'utf8')
    .replace(/"lead_id": "[^"]+"/, `"lead_id": "${leadId}"`)
    .replace('test@example.com', JANE.email)
    .replace('test-google-key-0001', GOOGLE_KEY);

describe('#11 forget on a deal destination, with a lead in the intake spool', () => {
  it('leaves no trace of the person in a full scan of Redis (keys and values), empties the spool of them and reports each kind', async () => {
    const keyed = await accepted(await postJson(`${stack.api.url}/v1/forms/contact`, { name: 'Jane Deal', ...JANE }, { 'idempotency-key': 'jane-form-0001' }));
    const partnerLead = await accepted(
      await postJson(`${stack.api.url}/v1/partners/leads`, { external_ref: 'jane-ref-0001', contact: { full_name: 'Jane Deal', email: JANE.email } }, { authorization: `Bearer ${partner.key}` }),
    );
    expect((await fetch(`${stack.api.url}/v1/webhooks/google`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: googleLead(GOOGLE_LEAD) })).status).toBe(200);
    const bob = await accepted(await postJson(`${stack.api.url}/v1/forms/plain`, { email: 'bob.stays@example.com' }));
    await waitFor(() => stack.sim.crmRecords('deal').length === 4, 'four deals made', 20_000);
    await waitFor(async () => (await status(keyed.id)) === 'delivered' && (await status(partnerLead.id)) === 'delivered', 'delivered');

    // Redis away: the API answers from its spool.
    await redis.stop('SIGKILL');
    const spooled = await accepted(await postJson(`${stack.api.url}/v1/forms/plain`, { name: 'Jane Again', email: JANE.email }));
    expect(spooled.status).toBe('spooled');
    await redis.restart();
    await waitFor(async () => ((await (await fetch(`${stack.api.url}/readyz`)).json()) as { redis: string }).redis === 'ok', 'the API connected again', 20_000);

    const client = new IORedis(redis.url);
    try {
      const before = (await dumpAll(client)).join('\n').toLowerCase();
      for (const trace of [JANE.email, GOOGLE_LEAD.toLowerCase(), keyed.id, partnerLead.id]) expect(before).toContain(trace.toLowerCase());

      const answer = await postJson(`${stack.api.url}/v1/admin/forget`, { contact: JANE.email }, admin);
      expect(answer.status).toBe(200);
      const report = (await answer.json()) as { leadIds: string[]; removed: Record<string, number>; spoolSearched: boolean };
      expect(report.spoolSearched).toBe(true);
      expect(report.leadIds).toEqual(expect.arrayContaining([keyed.id, partnerLead.id, spooled.id]));
      expect(report.leadIds).toHaveLength(4);
      expect(report.removed).toMatchObject({ spooled: 1, seenIds: 1, idempotencyKeys: 2, duplicateWindow: 2, deadLetters: 0 });
      // One per lead with a record (the spooled lead has none yet).
      expect(report.removed.statusRecords).toBeGreaterThanOrEqual(3);

      const after = await dumpAll(client);
      for (const trace of JANE_TRACES) expect(after.filter((line) => line.toLowerCase().includes(trace.toLowerCase()))).toEqual([]);
      for (const id of report.leadIds) expect(after.filter((line) => line.includes(id))).toEqual([]);
      expect(after.join('\n')).toContain('bob.stays@example.com');
      expect(await status(bob.id)).toBe('delivered');
    } finally {
      client.disconnect();
    }

    // The spool no longer holds the lead, on disk either: its status is gone, and /readyz counts nothing spooled.
    const onDisk = readdirSync(spoolDirectory).map((f) => readFileSync(join(spoolDirectory, f), 'utf8')).join('\n');
    expect(onDisk).not.toContain(JANE.email);
    expect(onDisk).not.toContain(spooled.id);
    expect(await status(spooled.id)).toBeUndefined();
    const ready = (await (await fetch(`${stack.api.url}/readyz`)).json()) as { spool?: { leads: number } };
    expect(ready.spool?.leads ?? 0).toBe(0);
    // Google sending the lead again does not bring the person back: a hashed marker still says "seen".
    expect((await fetch(`${stack.api.url}/v1/webhooks/google`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: googleLead(GOOGLE_LEAD) })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.sim.crmRecords('deal')).toHaveLength(4);
  }, 90_000);
});
