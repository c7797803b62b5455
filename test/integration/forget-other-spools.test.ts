import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runForget } from '../../src/cli/forget';
import { contactHash } from '../../src/lead/contact-key';
import type { Lead } from '../../src/lead/lead';
import { ErasureMarkers } from '../../src/queue/erasure-markers';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { startLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

/**
 * `leadgate forget` run from the CLI (or on another API process) cannot open a spool it does not own.
 * It leaves erasure markers in Redis instead; a spool's drainer drops the leads about the person that
 * were received before the erasure, and queues everything else.
 */
const JANE = 'jane.spooled@example.com';
const admin = { authorization: 'Bearer admin-secret' };

describe('forget reaches leads waiting in another process\'s intake spool', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let spoolDirectory: string;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    // The drainer waits a minute between passes: the leads stay spooled until the API is started again.
    spoolDirectory = mkdtempSync(join(tmpdir(), 'leadgate-forget-other-spools-'));
    stack = await startStack('forget-other-spools', { redisUrl: redis.url, overrides: { intake: { spool: { directory: spoolDirectory, drainIntervalMs: 60_000 } } } as never });
  });

  afterAll(async () => {
    await stack.stop();
    await redis.destroy();
    rmSync(spoolDirectory, { recursive: true, force: true });
  });

  it('drops the erased person\'s spooled lead when the spool drains, and delivers the others once', async () => {
    await redis.stop('SIGKILL');
    const post = async (email: string): Promise<string> => {
      const answer = await postJson(`${stack.api.url}/v1/forms/contact`, { name: 'Spooled', email });
      expect(answer.status).toBe(202);
      const body = (await answer.json()) as { id: string; status: string };
      expect(body.status).toBe('spooled');
      return body.id;
    };
    const jane = await post(JANE);
    const bob = await post('bob.spooled@example.com');
    // The process holding them goes away (its spool stays on disk) while Redis comes back.
    await stack.api.stop();
    await redis.restart();

    const lines: string[] = [];
    const report = await runForget(stack.config, JANE, (l) => lines.push(l));
    expect(report.spoolSearched).toBe(false);

    stack.api = await startLeadgate({ config: stack.config, role: 'all', logger: silentLogger });
    await waitFor(() => stack.sim.leads().some((l) => l.fields.ORIGIN_ID === bob), 'the other spooled lead delivered', 20_000);
    await sleep(500);
    expect(stack.sim.leads().map((l) => l.fields.ORIGIN_ID)).toEqual([bob]);
    expect((await fetch(`${stack.api.url}/v1/leads/${jane}`, { headers: admin })).status).toBe(404);
    expect(await (await fetch(`${stack.api.url}/metrics`)).text()).toMatch(/leadgate_spool_erased_total 1/);
  }, 60_000);
});

describe('erasure markers', () => {
  const prefix = uniquePrefix('erasure-markers');
  const client = new Redis(SHARED_REDIS_URL);
  const markers = new ErasureMarkers(client, prefix, 60);
  afterAll(async () => {
    client.disconnect();
    await dropPrefix(prefix);
  });

  const lead = (id: string, receivedAt: string, fields: Lead['fields']): Lead => ({ id, receivedAt, fields }) as unknown as Lead;

  it('name the leads received before an erasure of any of their e-mails or phones, and only those', async () => {
    await markers.record([contactHash('Ann@Example.com'), contactHash('+49 30 1234567')], Date.parse('2026-12-01T10:00:00Z'));
    const erased = await markers.erasedAmong([
      lead('by-email', '2026-12-01T09:59:59Z', { EMAIL: [{ VALUE: 'ann@example.com', VALUE_TYPE: 'WORK' }] }),
      lead('by-phone', '2026-12-01T09:00:00Z', { PHONE: [{ VALUE: '+49301234567', VALUE_TYPE: 'WORK' }], EMAIL: [{ VALUE: 'other@example.com', VALUE_TYPE: 'WORK' }] }),
      lead('came-back-later', '2026-12-01T10:00:01Z', { EMAIL: [{ VALUE: 'ann@example.com', VALUE_TYPE: 'WORK' }] }),
      lead('someone-else', '2026-12-01T09:00:00Z', { EMAIL: [{ VALUE: 'bob@example.com', VALUE_TYPE: 'WORK' }] }),
      lead('no-contact', '2026-12-01T09:00:00Z', {}),
    ]);
    expect([...erased].sort()).toEqual(['by-email', 'by-phone']);
  });

  it('keep no plain contact hash in Redis: the marker key is hashed again', async () => {
    const keys = await client.keys(`${prefix}:*`);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).not.toContain(contactHash('ann@example.com'));
    expect(await client.ttl(keys[0]!)).toBeGreaterThan(0);
  });
});
