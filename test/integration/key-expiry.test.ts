import IORedis from 'ioredis';
import { runDlqCommand } from '../../src/cli/dlq';
import { LeadLedger } from '../../src/queue/lead-ledger';
import { copiesOf, leadView, submitLeads } from '../helpers/delivery-probes';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

let stack: Stack;
let redis: IORedis;

beforeEach(async () => {
  redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});

afterEach(async () => {
  await stack?.stop();
  redis.disconnect();
});

async function settle(id: string, status: string): Promise<void> {
  await waitFor(async () => (await leadView(stack.api.url, id)).status === status, `lead ${id} ${status}`, 15_000, 50);
}

async function replay(id: string): Promise<void> {
  await runDlqCommand(stack.config, { action: 'replay', id, all: false }, () => undefined);
}

/**
 * Keys that may live without a TTL, and who deletes them. Anything else under the prefix must expire.
 * - `dlq`, `dlq:<id>`: the dead-letter queue; the operator owns it (`leadgate dlq replay|purge`).
 * - `dlq-by:…`: the dead letters by destination, code and source (ids), removed with each entry; `dlq-by:dims`
 *   names those sets (a handful), `dlq-by:since` says when they were filled.
 * - `breaker:<destination>`: the circuit breaker; deleted when the destination resumes.
 * - `oauth:…`: a destination's OAuth token pair; replaced on every refresh, needed for as long as it is configured.
 * - `contact-index:since`: when the contact index started (a timestamp); `forget` reads it to know whether older data may exist.
 * - `<queue>:<structure>`: BullMQ's own bookkeeping (ids, meta, event stream, job lists and sets).
 * - `<queue>:<jobId>` of a job waiting or completed: BullMQ removes it (removeOnComplete age); a failed
 *   job's hash holds the lead's personal data and must be gone (see the failed-set assertion).
 */
const OWNED = [
  /^dlq$/,
  /^dlq:[^:]+$/,
  /^dlq-by:/,
  /^breaker:[^:]+$/,
  /^oauth:/,
  /^contact-index:since$/,
  /^(deliver-[^:]+|meta-leads):(id|meta|events|wait|paused|active|delayed|prioritized|completed|failed|stalled|stalled-check|limiter|marker|pc|repeat|de)$/,
];

async function keysWithoutTtl(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) if ((await redis.ttl(key)) === -1) found.push(key.slice(prefix.length + 1));
  } while (cursor !== '0');
  return found;
}

describe('#9 every key leadgate writes expires or has an owner', () => {
  it('after a delivery, a retry, a dead letter and a replay, every key under the prefix has a TTL or is on the owned list', async () => {
    stack = await startStack('key-expiry');
    const [delivered] = await submitLeads(stack.api.url, 1, 'plain');
    await settle(delivered!, 'delivered');
    stack.sim.injectFault({ kind: 'error', count: 1, status: 500, error: 'INTERNAL_SERVER_ERROR', method: 'crm.lead.add' });
    const [retried] = await submitLeads(stack.api.url, 1, 'retried');
    await settle(retried!, 'delivered');
    // One at a time: each goes alone as crm.lead.add (two together may share a `batch`, which this fault does not match).
    const invalid = { kind: 'error', count: 1, status: 400, error: '', description: 'Invalid value for field STATUS_ID', method: 'crm.lead.add' } as const;
    stack.sim.injectFault(invalid);
    const [dead] = await submitLeads(stack.api.url, 1, 'dead');
    await settle(dead!, 'dead');
    stack.sim.injectFault(invalid);
    const [replayed] = await submitLeads(stack.api.url, 1, 'dead-replayed');
    await settle(replayed!, 'dead');
    await replay(replayed!);
    await settle(replayed!, 'delivered');
    await sleep(500);

    const unowned = (await keysWithoutTtl(stack.prefix)).filter((key) => {
      if (OWNED.some((pattern) => pattern.test(key))) return false;
      // A job hash (`deliver-main:<leadId>`) is BullMQ's to remove once completed; a dead lead's is not.
      const job = /^deliver-[^:]+:([^:]+)$/.exec(key);
      return !(job && job[1] !== dead);
    });
    expect(unowned).toEqual([]);
    // A failed job keeps the whole lead (name, email, phone): it must not outlive the move to the DLQ.
    expect(await redis.zcard(`${stack.prefix}:deliver-main:failed`)).toBe(0);
  });

  it('the unsure mark and a replay record carry the TTL even when the status record had already expired', async () => {
    stack = await startStack('key-expiry-ledger', { role: 'api' });
    const ledger = new LeadLedger(redis, stack.prefix, 3600);
    await ledger.markUnsure(['expired-1']);
    await ledger.recordRequeued('expired-2');
    expect(await redis.ttl(`${stack.prefix}:lead:expired-1`)).toBeGreaterThan(0);
    expect(await redis.ttl(`${stack.prefix}:lead:expired-2`)).toBeGreaterThan(0);
  });

  it('a replay after the status record expired still looks the lead up before adding it', async () => {
    // One attempt: the answer is lost after the portal committed, so the lead dies unsure.
    stack = await startStack('key-expiry-replay', { overrides: { delivery: { attempts: 1 } } });
    stack.sim.injectFault({ kind: 'drop-after-commit', count: 1, method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'expired');
    await settle(id!, 'dead');
    expect(copiesOf(stack.sim, id!)).toBe(1);
    // The retention period passes: the status record (and its unsure mark) is gone, the dead letter stays.
    await redis.del(`${stack.prefix}:lead:${id}`, `${stack.prefix}:lead:${id}:attempts`);

    await replay(id!);
    await settle(id!, 'delivered');
    await sleep(300);
    expect(copiesOf(stack.sim, id!)).toBe(1);
    expect((await leadView(stack.api.url, id!)).history.map((a) => a.outcome)).toEqual(['reconciled']);
  });
});
