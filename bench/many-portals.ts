/**
 * Many portals from one worker process (issue 15): N standard and M enterprise Bitrix24 simulators,
 * each in its own process, every bucket full at worker start (other traffic has just spent it), and
 * ONE `leadgate worker` process delivering leads queued for all of them. Reports the aggregate and
 * per-portal rate against each portal's ceiling (drain/s × 50 leads per batch), refusals, batch fill
 * and the worker's CPU; then the busy-portal run: how long a lead waits that arrives while its
 * portal's bucket is full.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lead } from '../src/lead/lead';
import { newLeadId } from '../src/lead/lead-id';
import { LeadQueue } from '../src/queue/lead-queue';
import { buildConfig } from '../src/config/load-config';
import { createRedis, waitForRedis } from '../src/queue/redis-connection';
import { freePort } from '../src/runtime/private-redis';
import { startLeadgate } from '../src/runtime/services';
import { silentLogger } from '../src/shared/logger';
import { dropPrefix, percentile, ROOT, sleep, startSimProcess, stopWithBenchmark, type SimProcess } from './support';

type Plan = 'standard' | 'enterprise';
const DRAIN: Record<Plan, number> = { standard: 2, enterprise: 5 };
const BATCH = 50;

export interface PortalResult {
  name: string;
  plan: Plan;
  queued: number;
  delivered: number;
  seconds: number;
  leadsPerSecond: number;
  ceiling: number;
  percentOfCeiling: number;
  refusals: number;
  requests: number;
  batches: number;
  fullBatches: number;
  meanBatch: number;
  duplicates: number;
  lost: number;
}

export interface ManyPortalsResult {
  scenario: string;
  portals: number;
  queued: number;
  delivered: number;
  seconds: number;
  leadsPerSecond: number;
  ceiling: number;
  percentOfCeiling: number;
  minPortalPercent: number;
  maxRefusalsPerPortal: number;
  fullBatchShare: number;
  duplicates: number;
  lost: number;
  /** Worker process CPU over the run, in % of one core. */
  workerCpuPercent: number;
  perPortal: PortalResult[];
}

function benchLead(destination: string, i: number): Lead {
  return {
    id: newLeadId(),
    source: { kind: 'form', name: 'bench' },
    destination,
    receivedAt: new Date().toISOString(),
    fields: { NAME: `Bench ${i}`, EMAIL: [{ VALUE: `bench${i}@example.com`, VALUE_TYPE: 'WORK' }], SOURCE_ID: 'WEB', TITLE: `Bench lead ${i}` },
    utm: { source: 'bench', medium: 'cpc' },
    tracking: { clickIds: {} },
    extras: [],
    trackingField: 'COMMENTS',
  };
}

/** utime + stime of a process in ms (Linux /proc; clock ticks are 100/s on every common kernel). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * `seconds`: how long each portal needs for its leads at its ceiling (standard 100 leads/s, enterprise
 * 250), so every portal has the same amount of work in time.
 */
export async function manyPortals(redisUrl: string, plans: Plan[], seconds: number, coldStart: 'empty' | 'full' = 'empty'): Promise<ManyPortalsResult> {
  const scenario = `${plans.filter((p) => p === 'standard').length} standard + ${plans.filter((p) => p === 'enterprise').length} enterprise`;
  const sims: SimProcess[] = await Promise.all(plans.map((plan) => startSimProcess(plan)));
  const names = plans.map((_, i) => `p${String(i + 1).padStart(2, '0')}`);
  const prefix = `bench-portals-${Date.now()}`;
  let worker: ChildProcess | undefined;
  try {
    const raw = {
      redis: { url: redisUrl, prefix },
      http: { port: 0, host: '127.0.0.1' },
      worker: { port: await freePort(), host: '127.0.0.1' },
      delivery: { maxBatchSize: BATCH, coldStart },
      destinations: Object.fromEntries(names.map((name, i) => [name, { webhookUrl: sims[i]!.webhookUrl, plan: plans[i] }])),
      forms: {},
      acceptAnyForm: false,
    };
    const config = buildConfig(raw, {});
    const file = join(mkdtempSync(join(tmpdir(), 'leadgate-bench-portals-')), 'leadgate.yaml');
    writeFileSync(file, JSON.stringify(raw)); // JSON is YAML

    // Queue every portal's leads first, interleaved as they would arrive.
    const redis = createRedis(config.redis, 'producer');
    await waitForRedis(redis);
    const queue = new LeadQueue(redis, { prefix, destinations: names, attempts: 30, deliveredRetentionSeconds: 600 });
    const counts = plans.map((plan) => Math.round(DRAIN[plan] * BATCH * seconds));
    const ids = names.map(() => new Set<string>());
    const total = counts.reduce((a, b) => a + b, 0);
    for (let round = 0, queued = 0; queued < total; round += 1) {
      const leads: Lead[] = [];
      for (let p = 0; p < names.length; p += 1) {
        for (let k = 0; k < 25; k += 1) {
          const i = round * 25 + k;
          if (i < counts[p]!) leads.push(benchLead(names[p]!, i));
        }
      }
      await Promise.all(leads.map((l) => queue.enqueue(l)));
      for (const l of leads) ids[names.indexOf(l.destination)]!.add(l.id);
      queued += leads.length;
    }
    await queue.close();
    redis.disconnect();

    await Promise.all(sims.map((s) => s.client.reset()));
    const spawnedAt = Date.now();
    // WORKER_CPU_PROF=<dir>: the worker writes a V8 CPU profile there when it stops (open in Chrome DevTools).
    const profile = process.env.WORKER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WORKER_CPU_PROF}`] : [];
    worker = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/cli.ts', 'worker', '--config', file], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    stopWithBenchmark(worker);
    await waitForHttp(`http://127.0.0.1:${raw.worker.port}/healthz`, 60_000);
    // Every portal busy as the worker starts: other traffic has just spent its bucket.
    await Promise.all(sims.map((s) => s.client.setBucketLoad({ level: 'full' })));
    const started = Date.now();
    const cpuAtStart = cpuMs(worker.pid!);
    // Until every portal has all its leads, or twice the time the work needs at the ceiling.
    const deadline = started + Math.max(60_000, seconds * 2000 + 20_000);
    for (;;) {
      const stats = await Promise.all(sims.map((s) => s.client.stats()));
      if (stats.every((st, p) => st.leadsCreated >= counts[p]!) || Date.now() > deadline) break;
      await sleep(250);
    }
    const cpuAtEnd = cpuMs(worker.pid!);
    const ended = Date.now();
    const finished = (await Promise.all(sims.map((s) => s.client.stats()))).every((st, p) => st.leadsCreated >= counts[p]!);
    if (!finished) console.log('  not every portal had all its leads by the deadline: the rates below are over the whole window');

    const perPortal: PortalResult[] = [];
    const trace: Array<{ name: string; calls: Array<{ at: number; method: string; status: number; commands?: number }> }> = [];
    for (let p = 0; p < sims.length; p += 1) {
      const [leads, calls, stats] = await Promise.all([sims[p]!.client.leads(), sims[p]!.client.calls(), sims[p]!.client.stats()]);
      trace.push({ name: names[p]!, calls: calls.filter((c) => !c.viaBatch).map((c) => ({ at: c.at - started, method: c.method, status: c.status, ...(c.commands !== undefined ? { commands: c.commands } : {}) })) });
      const seen = new Map<string, number>();
      for (const lead of leads) seen.set(String(lead.fields.ORIGIN_ID), (seen.get(String(lead.fields.ORIGIN_ID)) ?? 0) + 1);
      const last = finished ? leads.reduce((t, l) => Math.max(t, Date.parse(l.createdAt)), started) : ended;
      const portalSeconds = (last - started) / 1000;
      const batches = calls.filter((c) => !c.viaBatch && c.method === 'batch' && c.status === 200);
      const leadRequests = calls.filter((c) => !c.viaBatch && (c.method === 'batch' || c.method === 'crm.lead.add') && c.status === 200);
      const ceiling = DRAIN[plans[p]!] * BATCH;
      const rate = seen.size / portalSeconds;
      perPortal.push({
        name: names[p]!,
        plan: plans[p]!,
        queued: counts[p]!,
        delivered: seen.size,
        seconds: round(portalSeconds, 2),
        leadsPerSecond: round(rate, 1),
        ceiling,
        percentOfCeiling: round((100 * rate) / ceiling, 1),
        refusals: stats.queryLimitExceeded,
        requests: calls.filter((c) => !c.viaBatch).length,
        batches: batches.length,
        // The last batch carries the remainder; every other one should be full.
        fullBatches: batches.filter((c) => c.commands === BATCH).length,
        meanBatch: round(leadRequests.reduce((sum, c) => sum + (c.method === 'batch' ? (c.commands ?? 0) : 1), 0) / Math.max(1, leadRequests.length), 1),
        duplicates: [...seen.values()].reduce((sum, c) => sum + (c - 1), 0),
        // Only a run that was allowed to finish can lose leads; one stopped at its deadline left them queued.
        lost: finished ? [...ids[p]!].filter((id) => !seen.has(id)).length : 0,
      });
    }
    // PORTAL_TRACE=<file>: every portal's requests (ms from the measured start), to see the gaps between them.
    if (process.env.PORTAL_TRACE) writeFileSync(process.env.PORTAL_TRACE, JSON.stringify({ spawnToStartMs: started - spawnedAt, trace }));
    const delivered = perPortal.reduce((a, r) => a + r.delivered, 0);
    const runSeconds = Math.max(...perPortal.map((r) => r.seconds));
    const ceiling = perPortal.reduce((a, r) => a + r.ceiling, 0);
    // Aggregate: all leads over the time the slowest portal took; each portal's ceiling counts fully.
    const aggregate = delivered / runSeconds;
    const batches = perPortal.reduce((a, r) => a + r.batches, 0);
    const full = perPortal.reduce((a, r) => a + r.fullBatches, 0);
    console.log(`  worker ready ${((started - spawnedAt) / 1000).toFixed(1)} s after spawn; measured from then`);
    return {
      scenario,
      portals: plans.length,
      queued: total,
      delivered,
      seconds: round(runSeconds, 2),
      leadsPerSecond: round(aggregate, 1),
      ceiling,
      percentOfCeiling: round((100 * aggregate) / ceiling, 1),
      minPortalPercent: Math.min(...perPortal.map((r) => r.percentOfCeiling)),
      maxRefusalsPerPortal: Math.max(...perPortal.map((r) => r.refusals)),
      fullBatchShare: round((100 * full) / Math.max(1, batches), 1),
      duplicates: perPortal.reduce((a, r) => a + r.duplicates, 0),
      lost: perPortal.reduce((a, r) => a + r.lost, 0),
      workerCpuPercent: round((100 * (cpuAtEnd - cpuAtStart)) / (ended - started), 1),
      perPortal,
    };
  } finally {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => (worker!.exitCode !== null ? r(null) : worker!.once('exit', r)));
    }
    await Promise.all(sims.map((s) => s.stop()));
    await dropPrefix(redisUrl, prefix);
  }
}

export interface BusyPortalResult {
  what: string;
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  refusals: number;
}

/**
 * A lead arriving while its portal's bucket is full (other apps have just spent it): from the intake
 * POST to the lead existing in Bitrix24, against the same lead on an idle portal in the same run.
 * The floor is one drain step (500 ms on the standard plan): the portal admits nothing sooner.
 */
export async function busyPortal(redisUrl: string, n: number): Promise<BusyPortalResult[]> {
  const sim = await startSimProcess('standard');
  const prefix = `bench-busy-${Date.now()}`;
  const app = await startLeadgate({
    config: buildConfig(
      {
        redis: { url: redisUrl, prefix },
        http: { port: 0, host: '127.0.0.1', rateLimit: { windowMs: 60_000, limit: 100_000 } },
        worker: { port: 0, host: '127.0.0.1' },
        destinations: { main: { webhookUrl: sim.webhookUrl, plan: 'standard' } },
        forms: {},
        acceptAnyForm: true,
      },
      {},
    ),
    role: 'all',
    logger: silentLogger,
  });
  try {
    const results: BusyPortalResult[] = [];
    for (const busy of [true, false]) {
      await sim.client.reset();
      // The idle reference is a portal leadgate has never seen refuse: forget what the busy run taught
      // the mirror (its bucket level, and that other traffic uses this portal).
      if (!busy) {
        const redis = createRedis({ url: redisUrl }, 'producer');
        await waitForRedis(redis);
        await redis.del(`${prefix}:bucket:main`);
        redis.disconnect();
      }
      const postedAt = new Map<string, number>();
      for (let i = 0; i < n; i += 1) {
        if (busy) await sim.client.setBucketLoad({ level: 'full' });
        const t0 = Date.now();
        const response = await fetch(`${app.url}/v1/forms/bench`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `Busy ${i}`, email: `busy${i}@example.com`, utm_source: 'bench' }),
        });
        postedAt.set(((await response.json()) as { id: string }).id, t0);
        // Long enough for the lead to arrive (one drain step and a bit) before the next sample.
        await sleep(busy ? 900 : 520);
      }
      await sleep(1000);
      const [leads, stats] = await Promise.all([sim.client.leads(), sim.client.stats()]);
      const waits = leads.filter((l) => postedAt.has(String(l.fields.ORIGIN_ID))).map((l) => Date.parse(l.createdAt) - postedAt.get(String(l.fields.ORIGIN_ID))!);
      results.push({
        what: busy ? 'lead arriving while the bucket is full (busy portal)' : 'lead arriving at an idle portal (reference)',
        n: waits.length,
        p50: round(percentile(waits, 50), 1),
        p95: round(percentile(waits, 95), 1),
        p99: round(percentile(waits, 99), 1),
        max: round(Math.max(...waits), 1),
        refusals: stats.queryLimitExceeded,
      });
    }
    return results;
  } finally {
    await app.stop();
    await sim.stop();
    await dropPrefix(redisUrl, prefix);
  }
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
