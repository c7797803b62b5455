import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { deliveryQueueName } from '../../src/queue/jobs';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

let stack: Stack;
let redis: IORedis;

beforeAll(async () => {
  stack = await startStack('form-spam-rules', {
    overrides: {
      acceptAnyForm: false,
      forms: {
        timed: { destination: 'main', minFillSeconds: 3, honeypot: 'website' },
        once: { destination: 'main', duplicateWindowMinutes: 10, phoneCountry: 'DE' },
        alsoOnce: { destination: 'main', duplicateWindowMinutes: 10 },
        html: { destination: 'main', minFillSeconds: 3, redirect: { success: 'https://www.example.com/thanks' } },
      },
    } as never,
  });
  redis = new IORedis(stack.config.redis.url);
});

afterAll(async () => {
  redis.disconnect();
  await stack.stop();
});

const url = (form: string, api = stack.api) => `${api.url}/v1/forms/${form}`;

async function queuedJobs(): Promise<number> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function accepted(response: Response): Promise<string> {
  expect(response.status).toBe(202);
  const body = (await response.json()) as { id: string; status: string };
  expect(body.status).toBe('queued');
  return body.id;
}

async function spamCount(reason: string): Promise<number> {
  const text = await (await fetch(`${stack.api.url}/metrics`)).text();
  const match = new RegExp(`leadgate_leads_spam_total\\{source="form",reason="${reason}"\\} (\\d+)`).exec(text);
  return match ? Number(match[1]) : 0;
}

describe('minimum fill time (minFillSeconds)', () => {
  it('drops a form sent sooner than minFillSeconds after the snippet showed it: answered like a lead, nothing queued, counted', async () => {
    const before = await queuedJobs();
    const response = await postJson(url('timed'), { email: 'bot@example.com', lg_shown_at: String(Date.now() - 500) });
    await accepted(response);
    expect(await queuedJobs()).toBe(before);
    expect(await spamCount('too_fast')).toBe(1);
  });

  it('redirects a too-fast plain form post like an accepted one', async () => {
    const response = await fetch(url('html'), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ email: 'bot@example.com', lg_shown_at: String(Date.now()) }).toString(),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://www.example.com/thanks');
  });

  it.each([
    ['a form filled in longer than minFillSeconds', { lg_shown_at: String(Date.now() - 60_000) }],
    ['a form without the stamp (a plain HTML form, no snippet)', {}],
    ['a stamp that is not a number', { lg_shown_at: 'yesterday' }],
    ['a stamp in the future (the visitor\'s clock runs ahead)', { lg_shown_at: String(Date.now() + 600_000) }],
  ])('queues %s, without the stamp in the lead', async (_name, extra) => {
    const id = await accepted(await postJson(url('timed'), { email: 'jane@example.com', message: 'Hi', ...extra }));
    const lead = await waitFor(() => stack.sim.leads().find((l) => l.fields.ORIGIN_ID === id), `lead ${id}`);
    expect(lead.fields.COMMENTS).toBe('Hi');
  });

  it('still counts a filled honeypot as honeypot', async () => {
    await accepted(await postJson(url('timed'), { email: 'bot@example.com', website: 'http://spam.example' }));
    expect(await spamCount('honeypot')).toBe(1);
  });
});

describe('duplicate window (duplicateWindowMinutes)', () => {
  it('answers a second submission with the same email with the first lead\'s id, and queues one lead', async () => {
    const first = await accepted(await postJson(url('once'), { name: 'Ann', email: 'ann@example.com' }));
    const before = await queuedJobs();
    const second = await accepted(await postJson(url('once'), { name: 'Ann again', email: ' ANN@Example.com ' }));
    expect(second).toBe(first);
    expect(await queuedJobs()).toBe(before);
    expect(await spamCount('duplicate_window')).toBeGreaterThanOrEqual(1);
  });

  it('matches a phone written another way (normalised)', async () => {
    const first = await accepted(await postJson(url('once'), { phone: '030 7654321' }));
    expect(await accepted(await postJson(url('once'), { phone: '+49 30 765-4321', email: 'other@example.com' }))).toBe(first);
  });

  it('keeps forms apart: the same email on another form is a new lead', async () => {
    const first = await accepted(await postJson(url('once'), { email: 'bea@example.com' }));
    expect(await accepted(await postJson(url('alsoOnce'), { email: 'bea@example.com' }))).not.toBe(first);
  });

  it('holds a hash of the contact for the window, never the email itself', async () => {
    await accepted(await postJson(url('alsoOnce'), { email: 'cleo@example.com' }));
    const keys: string[] = [];
    // SCAN, never KEYS, on the shared server.
    for await (const batch of redis.scanStream({ match: `${stack.prefix}:dupe:alsoOnce:*`, count: 500 })) keys.push(...(batch as string[]));
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(key).toMatch(/:dupe:alsoOnce:[0-9a-f]{64}$/);
      expect(await redis.ttl(key)).toBeGreaterThan(9 * 60);
      expect(await redis.ttl(key)).toBeLessThanOrEqual(10 * 60);
    }
  });

  it('is one window across API processes sharing Redis', async () => {
    const spool = mkdtempSync(join(tmpdir(), 'leadgate-spool-spam-second-'));
    let second: RunningLeadgate | undefined;
    try {
      const config = { ...stack.config, intake: { ...stack.config.intake, spool: { ...stack.config.intake.spool, directory: spool } } };
      second = await startLeadgate({ config, role: 'api', logger: silentLogger });
      const first = await accepted(await postJson(url('once', stack.api), { email: 'dora@example.com' }));
      expect(await accepted(await postJson(url('once', second), { email: 'dora@example.com' }))).toBe(first);
      // And the other way round, for a new contact.
      const third = await accepted(await postJson(url('once', second), { email: 'emil@example.com' }));
      expect(await accepted(await postJson(url('once', stack.api), { email: 'emil@example.com' }))).toBe(third);
    } finally {
      await second?.stop();
      rmSync(spool, { recursive: true, force: true });
    }
  });

  it('a retry with the same Idempotency-Key is the same lead, not a duplicate', async () => {
    const post = () => postJson(url('once'), { email: 'fay@example.com' }, { 'idempotency-key': 'fay-1' });
    const first = await accepted(await post());
    const retry = await post();
    expect(await accepted(retry)).toBe(first);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
  });
});
