/**
 * Delivery benchmark (issue 4): how fast queued leads reach a standard-plan portal, and how long one
 * lead takes from the intake POST to existing in the CRM on an idle system. Every figure is measured
 * in this run beside its reference: batched vs one lead per request, leadgate vs a bare crm.lead.add.
 *
 * Then (issue 15) many portals from one worker process, and a lead arriving at a busy portal
 * (bench/many-portals.ts).
 *
 *   npm run bench:delivery            (LEADS=3000 WINDOW_S=60 LATENCY_N=200 to change the sizes)
 *   PORTALS=10s,20s,3e PORTAL_SECONDS=40 BUSY_N=60   the many-portals scenarios (s = standard, e = enterprise)
 *   ONLY=portals                      only the many-portals and busy-portal runs
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig } from '../src/config/load-config';
import type { Config } from '../src/config/config';
import type { Lead } from '../src/lead/lead';
import { newLeadId } from '../src/lead/lead-id';
import { LeadQueue } from '../src/queue/lead-queue';
import { createRedis, waitForRedis } from '../src/queue/redis-connection';
import { startLeadgate } from '../src/runtime/services';
import { silentLogger } from '../src/shared/logger';
import { PLAN_BUCKETS, PortalRateLimiter } from '../src/worker/portal-rate-limiter';
import type { SimulatedCall } from '@leadgate/simulators';
import { busyPortal, manyPortals, type BusyPortalResult, type ManyPortalsResult } from './many-portals';
import { dropPrefix, machine, percentile, ROOT, sleep, startSimProcess, type SimProcess } from './support';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEADS = Number(process.env.LEADS ?? 3000);
const WINDOW_S = Number(process.env.WINDOW_S ?? 60);
const LATENCY_N = Number(process.env.LATENCY_N ?? 200);
const PORTALS = (process.env.PORTALS ?? '10s,20s,3e').split(',').filter(Boolean);
const PORTAL_SECONDS = Number(process.env.PORTAL_SECONDS ?? 40);
const BUSY_N = Number(process.env.BUSY_N ?? 60);
const ONLY_PORTALS = process.env.ONLY === 'portals';

/** "10s" → ten standard portals, "3e" → three enterprise, "2s1e" → both. */
function parsePortals(spec: string): Array<'standard' | 'enterprise'> {
  const plans: Array<'standard' | 'enterprise'> = [];
  for (const [, n, kind] of spec.matchAll(/(\d+)([se])/g)) {
    const plan = kind === 's' ? 'standard' : 'enterprise';
    plans.push(...Array.from({ length: Number(n) }, () => plan));
  }
  if (plans.length === 0) throw new Error(`PORTALS entry "${spec}" names no portals (e.g. 10s, 3e, 2s1e)`);
  return plans;
}

async function portalRuns(): Promise<{ many: ManyPortalsResult[]; busy: BusyPortalResult[] }> {
  const many: ManyPortalsResult[] = [];
  for (const spec of PORTALS) {
    const plans = parsePortals(spec);
    console.log(`many portals: ${spec} from one worker process, ${PORTAL_SECONDS} s of work each at the ceiling…`);
    const result = await manyPortals(REDIS_URL, plans, PORTAL_SECONDS);
    const { perPortal, ...summary } = result;
    console.log(summary);
    many.push(result);
  }
  console.log(`busy portal: ${BUSY_N} leads each arriving while the bucket is full, and ${BUSY_N} at an idle portal…`);
  const busy = await busyPortal(REDIS_URL, BUSY_N);
  console.log(busy);
  console.log('\n| portals | leads | seconds | leads/s | ceiling | % of ceiling | lowest portal % | max refusals/portal | full batches | duplicates | lost | worker CPU % of a core |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of many) {
    console.log(`| ${r.scenario} | ${r.delivered}/${r.queued} | ${r.seconds} | ${r.leadsPerSecond} | ${r.ceiling} | ${r.percentOfCeiling} | ${r.minPortalPercent} | ${r.maxRefusalsPerPortal} | ${r.fullBatchShare}% | ${r.duplicates} | ${r.lost} | ${r.workerCpuPercent} |`);
  }
  for (const r of many) {
    console.log(`\n${r.scenario}, per portal:\n| portal | plan | leads | seconds | leads/s | % of ceiling | refusals | batches (full) | mean batch |`);
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const p of r.perPortal) console.log(`| ${p.name} | ${p.plan} | ${p.delivered}/${p.queued} | ${p.seconds} | ${p.leadsPerSecond} | ${p.percentOfCeiling} | ${p.refusals} | ${p.batches} (${p.fullBatches}) | ${p.meanBatch} |`);
  }
  console.log('\n| wait from intake POST to lead in Bitrix24 | n | p50 ms | p95 ms | p99 ms | max ms | refusals |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const b of busy) console.log(`| ${b.what} | ${b.n} | ${b.p50} | ${b.p95} | ${b.p99} | ${b.max} | ${b.refusals} |`);
  return { many, busy };
}

function config(webhookUrl: string, prefix: string, maxBatchSize: number): Config {
  return buildConfig(
    {
      redis: { url: REDIS_URL, prefix },
      http: { port: 0, host: '127.0.0.1', rateLimit: { windowMs: 60_000, limit: 100_000 } },
      worker: { port: 0, host: '127.0.0.1' },
      delivery: { maxBatchSize },
      destinations: { main: { webhookUrl, plan: 'standard' } },
      forms: {},
      acceptAnyForm: true,
    },
    {},
  );
}

function benchLead(i: number): Lead {
  return {
    id: newLeadId(),
    source: { kind: 'form', name: 'bench' },
    destination: 'main',
    receivedAt: new Date().toISOString(),
    fields: { NAME: `Bench ${i}`, EMAIL: [{ VALUE: `bench${i}@example.com`, VALUE_TYPE: 'WORK' }], SOURCE_ID: 'WEB', TITLE: `Bench lead ${i}` },
    utm: { source: 'bench', medium: 'cpc' },
    tracking: { clickIds: {} },
    extras: [],
    trackingField: 'COMMENTS',
  };
}

async function prequeue(cfg: Config, n: number): Promise<string[]> {
  const redis = createRedis(cfg.redis, 'producer');
  await waitForRedis(redis);
  const queue = new LeadQueue(redis, { prefix: cfg.redis.prefix, destinations: ['main'], attempts: 30, deliveredRetentionSeconds: 600 });
  const ids: string[] = [];
  for (let start = 0; start < n; start += 200) {
    const leads = Array.from({ length: Math.min(200, n - start) }, (_, k) => benchLead(start + k));
    await Promise.all(leads.map((l) => queue.enqueue(l)));
    ids.push(...leads.map((l) => l.id));
  }
  await queue.close();
  redis.disconnect();
  return ids;
}

interface ThroughputResult {
  mode: string;
  queued: number;
  delivered: number;
  seconds: number;
  leadsPerSecond: number;
  sustainedLeadsPerSecond: number;
  requests: number;
  queryLimitExceeded: number;
  duplicates: number;
  lost: number;
}

/** Leads per second after the bucket's initial burst (the first `limit` requests) is spent. */
function sustainedRate(calls: SimulatedCall[], burst: number): number {
  const ok = calls.filter((c) => !c.viaBatch && c.status === 200 && (c.method === 'batch' || c.method === 'crm.lead.add')).sort((a, b) => a.at - b.at);
  if (ok.length <= burst + 1) return NaN;
  const after = ok.slice(burst);
  const leads = after.slice(1).reduce((sum, c) => sum + (c.method === 'batch' ? c.commands ?? 0 : 1), 0);
  return leads / ((after[after.length - 1]!.at - after[0]!.at) / 1000);
}

/**
 * Puts the portal where a busy one is: its bucket spent by other traffic (cheap `profile` calls),
 * and leadgate's mirror of it full, so what follows measures the steady rate and not the burst.
 */
async function spendBucket(sim: SimProcess, cfg: Config): Promise<void> {
  const { limit } = (await sim.client.info()).bucket;
  for (let i = 0; i < limit; i += 1) await fetch(`${sim.webhookUrl}profile.json`);
  const redis = createRedis(cfg.redis, 'producer');
  await waitForRedis(redis);
  await new PortalRateLimiter(redis, cfg.redis.prefix, 'main', PLAN_BUCKETS.standard).pause(0, { bucketFull: true });
  redis.disconnect();
}

type Mode = 'batch' | 'batch-busy-portal' | 'single';

async function throughput(sim: SimProcess, mode: Mode, n: number, windowSeconds: number): Promise<ThroughputResult> {
  await sim.client.reset();
  const prefix = `bench-${mode}-${Date.now()}`;
  const cfg = config(sim.webhookUrl, prefix, mode === 'single' ? 1 : 50);
  const ids = await prequeue(cfg, n);
  if (mode === 'batch-busy-portal') await spendBucket(sim, cfg);
  const started = Date.now();
  const worker = await startLeadgate({ config: cfg, role: 'worker', logger: silentLogger });
  let created = 0;
  while (Date.now() - started < windowSeconds * 1000) {
    created = (await sim.client.stats()).leadsCreated;
    if (created >= n) break;
    await sleep(100);
  }
  const seconds = (Date.now() - started) / 1000;
  await worker.stop();
  await dropPrefix(REDIS_URL, prefix);
  const [leads, calls, stats] = await Promise.all([sim.client.leads(), sim.client.calls(), sim.client.stats()]);
  const seen = new Map<string, number>();
  for (const lead of leads) seen.set(String(lead.fields.ORIGIN_ID), (seen.get(String(lead.fields.ORIGIN_ID)) ?? 0) + 1);
  const duplicates = [...seen.values()].reduce((sum, c) => sum + (c - 1), 0);
  const finished = created >= n;
  return {
    mode,
    queued: n,
    delivered: seen.size,
    seconds: Number(seconds.toFixed(2)),
    leadsPerSecond: Number((seen.size / seconds).toFixed(1)),
    sustainedLeadsPerSecond: Number(sustainedRate(calls, mode === 'batch-busy-portal' ? 0 : 50).toFixed(1)),
    requests: calls.filter((c) => !c.viaBatch && c.method !== 'profile').length,
    queryLimitExceeded: stats.queryLimitExceeded,
    duplicates,
    // Only a run that was allowed to finish can lose leads; a windowed run stops on purpose.
    lost: finished ? ids.filter((id) => !seen.has(id)).length : 0,
  };
}

interface LatencyResult {
  what: string;
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function summarise(what: string, values: number[]): LatencyResult {
  return { what, n: values.length, p50: Number(percentile(values, 50).toFixed(1)), p99: Number(percentile(values, 99).toFixed(1)), max: Number(Math.max(...values).toFixed(1)) };
}

async function latency(sim: SimProcess, n: number): Promise<LatencyResult[]> {
  await sim.client.reset();
  const latencyPrefix = `bench-latency-${Date.now()}`;
  const cfg = config(sim.webhookUrl, latencyPrefix, 50);
  const app = await startLeadgate({ config: cfg, role: 'all', logger: silentLogger });
  const postedAt = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const t0 = Date.now();
    const response = await fetch(`${app.url}/v1/forms/bench`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Latency ${i}`, email: `latency${i}@example.com`, utm_source: 'bench' }),
    });
    const { id } = (await response.json()) as { id: string };
    postedAt.set(id, t0);
    // Idle system: one lead at a time, well under the portal's 2 requests/s after the burst.
    await sleep(i < 40 ? 30 : 520);
  }
  await sleep(500);
  const leads = await sim.client.leads();
  await app.stop();
  await dropPrefix(REDIS_URL, latencyPrefix);
  const endToEnd = leads.filter((l) => postedAt.has(String(l.fields.ORIGIN_ID))).map((l) => Date.parse(l.createdAt) - postedAt.get(String(l.fields.ORIGIN_ID))!);

  // Reference: the same lead sent straight to the simulator, no gateway in between.
  await sim.client.reset();
  const direct: number[] = [];
  for (let i = 0; i < Math.min(n, 40); i += 1) {
    const t0 = performance.now();
    await fetch(`${sim.webhookUrl}crm.lead.add.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { NAME: `Direct ${i}`, EMAIL: [{ VALUE: `d${i}@example.com`, VALUE_TYPE: 'WORK' }] } }),
    });
    direct.push(performance.now() - t0);
  }
  return [summarise('intake POST → lead exists in Bitrix24 (leadgate)', endToEnd), summarise('bare crm.lead.add round trip (reference)', direct)];
}

async function main(): Promise<void> {
  if (ONLY_PORTALS) {
    console.log(`machine: ${machine()}`);
    const portals = await portalRuns();
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/delivery-portals-latest.json'), `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...portals }, null, 2)}\n`);
    process.exit(0);
  }
  const sim = await startSimProcess('standard');
  try {
    console.log(`machine: ${machine()}`);
    console.log(`delivering ${LEADS} queued leads in batches…`);
    const batched = await throughput(sim, 'batch', LEADS, 600);
    console.log(batched);
    console.log(`delivering ${LEADS} queued leads in batches to a portal whose bucket is already spent…`);
    const busy = await throughput(sim, 'batch-busy-portal', LEADS, 600);
    console.log(busy);
    console.log(`one lead per request, for at most ${WINDOW_S} s…`);
    const single = await throughput(sim, 'single', LEADS, WINDOW_S);
    console.log(single);
    console.log(`idle latency over ${LATENCY_N} leads…`);
    const lat = await latency(sim, LATENCY_N);
    console.log(lat);

    const result = { date: new Date().toISOString(), machine: machine(), batched, busy, single, latency: lat };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/delivery-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log('\n| run | leads | seconds | leads/s | sustained leads/s | requests | QUERY_LIMIT_EXCEEDED | duplicates | lost |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const label: Record<Mode, string> = {
      batch: 'batch, fresh portal (burst + steady)',
      'batch-busy-portal': 'batch, portal bucket already spent (steady state)',
      single: 'one lead per request (reference)',
    };
    for (const r of [batched, busy, single]) {
      console.log(`| ${label[r.mode as Mode]} | ${r.delivered}/${r.queued} | ${r.seconds} | ${r.leadsPerSecond} | ${r.sustainedLeadsPerSecond} | ${r.requests} | ${r.queryLimitExceeded} | ${r.duplicates} | ${r.lost} |`);
    }
    console.log('\n| latency | n | p50 ms | p99 ms | max ms |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const l of lat) console.log(`| ${l.what} | ${l.n} | ${l.p50} | ${l.p99} | ${l.max} |`);
  } finally {
    await sim.stop();
  }
  const portals = await portalRuns();
  writeFileSync(join(ROOT, 'bench/results/delivery-portals-latest.json'), `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...portals }, null, 2)}\n`);
  process.exit(0);
}

void main();
