/**
 * Redis memory per lead (issue 13): LEADS form posts through the real API (each with its own email and
 * phone, as real visitors), measured with MEMORY USAGE over every key of the run's prefix
 *
 *   1. queued:      every lead acknowledged, no worker yet;
 *   2. delivered:   a worker delivered them all to the Bitrix24 simulator (enterprise plan), each
 *                   completed job still kept for `delivery.deliveredRetentionSeconds` (it shows the
 *                   lead's fields on the console's lead page);
 *   3. status only: those completed jobs gone, as `deliveredRetentionSeconds` after delivery, and the
 *                   status records compacted into shared buckets (as the worker does some minutes
 *                   after each delivery); what remains for `delivery.statusRetentionSeconds` is the
 *                   compacted record, the contact index and the search index.
 *
 * Each phase is also broken down by kind of key. The figure is bytes per lead: the sum of MEMORY USAGE
 * (SAMPLES 0: every element counted) over the prefix's keys, divided by the leads, so structures the
 * leads share (BullMQ's lists and sets) are counted in their share. Redis's own per-key dictionary
 * entry (~50–70 bytes for each key) is not in MEMORY USAGE; `used_memory` moves with other work on
 * a shared server, so it is not used.
 *
 *   npm run bench:memory           (LEADS=10000 CONCURRENCY=20 REDIS_URL=…)
 *
 * IDEMPOTENCY_KEYS=1 sends each post with an `Idempotency-Key`: the lead ids are then derived from the
 * keys (`lg_<32 hex>`, as partner and platform leads' are), not made at receipt, and each key is bound
 * for 24 hours (`idem:`, counted apart).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import IORedis, { type Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { buildConfig } from '../src/config/load-config';
import { deliveryQueueName, QUEUE_STREAMS } from '../src/queue/jobs';
import { compactDelivered } from '../src/queue/status-buckets';
import { startLeadgate } from '../src/runtime/services';
import { silentLogger } from '../src/shared/logger';
import { dropPrefix, machine, ROOT, sleep, startSimProcess } from './support';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEADS = Number(process.env.LEADS ?? 10_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 20);
const IDEMPOTENCY_KEYS = process.env.IDEMPOTENCY_KEYS === '1';

/** The landing page's fields of bench/intake.ts, with a contact of each visitor's own. */
function submission(i: number): string {
  return JSON.stringify({
    name: 'Jane Doe',
    email: `jane.doe.${i}@example.com`,
    phone: `+49 30 ${String(2_000_000 + i)}`,
    message: 'Hello, we are looking for a CRM integration for our three shops. Could you call me back on weekdays after 2 pm?',
    utm_source: 'google',
    utm_medium: 'cpc',
    utm_campaign: 'spring_sale_2026',
    utm_content: 'ad_variant_b',
    utm_term: 'crm integration',
    page_url: 'https://www.example.com/landing/spring?utm_source=google&utm_medium=cpc&gclid=EAIaIQobChMIx9mE3vXk',
  });
}

/** What a key is, from its name under the prefix. */
function kindOf(prefix: string, key: string): string {
  const rest = key.slice(prefix.length + 1);
  if (/^lead:[^:]+$/.test(rest)) return 'status record (hash)';
  if (/^lead:[^:]+:attempts$/.test(rest)) return 'attempt history (list)';
  if (rest === 'status:pending') return 'status records to compact (list)';
  if (rest.startsWith('status:')) return 'status records compacted (shared hashes)';
  if (rest.startsWith('contacts:')) return 'contact index (shared lists, a window set)';
  if (rest.startsWith('contact:')) return 'contact index (sets, before the hashes)';
  if (rest.startsWith('search:')) return 'console search index (sorted sets)';
  if (rest.startsWith('activity:') || rest.startsWith('bucket:')) return 'activity counters, portal bucket (shared)';
  if (rest.startsWith('contact-index')) return 'contact index start';
  // BullMQ's keys are `<prefix>:<queue>:…` (queues deliver-<destination>, meta-leads): a job is `<queue>:<job id>`.
  const bull = /^(deliver-[^:]+|meta-leads):(.+)$/.exec(rest);
  if (bull) return /^(wait|active|completed|failed|delayed|prioritized|paused|meta|events|id|marker|stalled-check|pc|de|limiter)$/.test(bull[2]!) || bull[2]!.includes(':') ? 'BullMQ queue structures (lists, sets, events)' : 'BullMQ job (hash)';
  if (rest.startsWith('rl:')) return 'rate-limit counters';
  if (rest.startsWith('idem:')) return 'idempotency bindings (strings, 24 h)';
  return 'other';
}

interface Phase {
  phase: string;
  leads: number;
  keys: number;
  bytes: number;
  bytesPerLead: number;
  byKind: Record<string, { keys: number; bytesPerLead: number }>;
}

async function measure(redis: Redis, prefix: string, phase: string): Promise<Phase> {
  const byKind: Record<string, { keys: number; bytes: number }> = {};
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const sizes = (await pipeline.exec()) ?? [];
    batch.forEach((key, i) => {
      const size = Number(sizes[i]?.[1] ?? 0);
      const kind = kindOf(prefix, key);
      byKind[kind] ??= { keys: 0, bytes: 0 };
      byKind[kind].keys += 1;
      byKind[kind].bytes += size;
      keys += 1;
      bytes += size;
    });
  } while (cursor !== '0');
  return {
    phase,
    leads: LEADS,
    keys,
    bytes,
    bytesPerLead: Math.round(bytes / LEADS),
    byKind: Object.fromEntries(Object.entries(byKind).sort((a, b) => b[1].bytes - a[1].bytes).map(([k, v]) => [k, { keys: v.keys, bytesPerLead: Math.round(v.bytes / LEADS) }])),
  };
}

async function post(url: string): Promise<number> {
  let next = 0;
  let accepted = 0;
  const sender = async (): Promise<void> => {
    while (next < LEADS) {
      const i = next++;
      const send = (): Promise<Response> => fetch(`${url}/v1/forms/bench`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://www.example.com', referer: 'https://www.example.com/landing/spring', ...(IDEMPOTENCY_KEYS ? { 'idempotency-key': `bench-${i}` } : {}) },
        body: submission(i),
      });
      // A keep-alive connection the server closed as idle just as it was reused (ECONNRESET before any
      // answer) is sent once more; a post the API did take would only add one lead to the counts.
      const response = await send().catch(send);
      await response.arrayBuffer();
      if (response.status === 202) accepted += 1;
      else throw new Error(`post ${i}: ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, sender));
  return accepted;
}

function print(p: Phase): void {
  console.log(`\n${p.phase}: ${p.keys} keys, ${(p.bytes / 2 ** 20).toFixed(1)} MiB, **${p.bytesPerLead} bytes per lead**`);
  console.log('| kind of key | keys | bytes per lead |');
  console.log('| --- | --- | --- |');
  for (const [kind, v] of Object.entries(p.byKind)) console.log(`| ${kind} | ${v.keys} | ${v.bytesPerLead} |`);
}

async function main(): Promise<void> {
  const prefix = `bench-memory-${Date.now()}`;
  const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const sim = await startSimProcess('enterprise');
  const config = buildConfig(
    {
      redis: { url: REDIS_URL, prefix },
      http: { port: 0, host: '127.0.0.1', rateLimit: { windowMs: 60_000, limit: 1_000_000_000 } },
      worker: { port: 0, host: '127.0.0.1' },
      destinations: { main: { webhookUrl: sim.webhookUrl, plan: 'enterprise' } },
      forms: {},
      acceptAnyForm: true,
    },
    {},
  );
  console.log(`machine: ${machine()}, Redis ${(await redis.info('server')).match(/redis_version:(\S+)/)?.[1]}; ${LEADS} leads${IDEMPOTENCY_KEYS ? ' with Idempotency-Keys' : ''}; retention: deliveredRetentionSeconds ${config.delivery.deliveredRetentionSeconds}, statusRetentionSeconds ${config.delivery.statusRetentionSeconds}`);
  const phases: Phase[] = [];
  const api = await startLeadgate({ config, role: 'api', logger: silentLogger });
  try {
    const started = Date.now();
    const accepted = await post(api.url);
    console.log(`${accepted} leads acknowledged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    phases.push(await measure(redis, prefix, '1. queued (no worker yet)'));
    print(phases.at(-1)!);

    const worker = await startLeadgate({ config, role: 'worker', logger: silentLogger });
    const queue = new Queue(deliveryQueueName('main'), { connection: redis, prefix, streams: QUEUE_STREAMS });
    try {
      const deliveryStarted = Date.now();
      for (;;) {
        const counts = await queue.getJobCounts('completed', 'failed', 'wait', 'active', 'delayed');
        if ((counts.completed ?? 0) + (counts.failed ?? 0) >= LEADS) break;
        await sleep(1000);
      }
      console.log(`delivered in ${((Date.now() - deliveryStarted) / 1000).toFixed(1)} s`);
      await worker.stop();
      phases.push(await measure(redis, prefix, `2. delivered, each completed job kept (deliveredRetentionSeconds ${config.delivery.deliveredRetentionSeconds})`));
      print(phases.at(-1)!);
      // What deliveredRetentionSeconds later leaves: BullMQ removes each completed job as its age passes,
      // and the worker has compacted each delivered record (it does once duplicateCheckDelayMs + 5 min
      // have passed since the delivery, well within deliveredRetentionSeconds): both done here at once.
      await queue.clean(0, LEADS * 2, 'completed');
      const compaction = await compactDelivered(redis, prefix, config.delivery.statusRetentionSeconds, { graceMs: 0 });
      console.log(`compacted ${compaction.compacted} delivered status records (${compaction.kept} left whole)`);
      phases.push(await measure(redis, prefix, `3. delivered, status only (after deliveredRetentionSeconds, until statusRetentionSeconds ${config.delivery.statusRetentionSeconds})`));
      print(phases.at(-1)!);
    } finally {
      await queue.close();
    }
  } finally {
    await api.stop();
    await sim.stop();
    await dropPrefix(REDIS_URL, prefix);
    redis.disconnect();
  }
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/redis-memory-latest.json'), `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), leads: LEADS, phases }, null, 2)}\n`);
  const [queued, , statusOnly] = phases;
  console.log(`\nper queued lead ${queued!.bytesPerLead} bytes (target ≤ 2048); per delivered lead kept for status ${statusOnly!.bytesPerLead} bytes (target ≤ 300)`);
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
