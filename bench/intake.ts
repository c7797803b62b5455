/**
 * Intake benchmark: how many form submissions per second leadgate's API acknowledges (202, the job
 * durably in Redis) and at what latency, beside references measured in the same run:
 *
 *   naive: issue 13's naive gateway (express + helmet + express.json + one ajv schema + BullMQ
 *          Queue.add, 202 once Redis holds the job), same body, same Redis;
 *   bare:  a bare express() app with express.json() answering 202 to the same POST (no validation, no Redis).
 *
 * naive and leadgate run with one process and with N (PROCESSES, default `1,<cores>`; N > 1 is a
 * node:cluster of N servers on one port, as `leadgate api --processes N`). Every server runs in its own
 * child process (bench/intake-server.ts, compiled by tsc first and run by plain node, as users run leadgate);
 * autocannon drives it from this process, so the load generator
 * and the server never share an event loop. Only 127.0.0.1, bounded by DURATION_S per run. After each
 * naive and leadgate run, once nothing is in flight, the jobs (and leadgate's status records) in Redis
 * are counted against the 202s the server sent; then the run's keys are deleted (SCAN by its own
 * prefix, never FLUSHALL).
 *
 *   npm run bench:intake          (CONNECTIONS=10,50 PROCESSES=1,2 DURATION_S=10 WARMUP_S=3 LOG_LEVEL=info to change;
 *                                  WAIT_REPLICAS=1 with REDIS_URL a master that has a replica: redis.waitReplicas;
 *                                  INTAKE_CPU_PROF=dir writes a --cpu-prof profile of each server;
 *                                  TARGETS=naive,leadgate measures only those servers;
 *                                  ROUNDS=N runs naive and leadgate N times, alternating which goes first,
 *                                  and compares their medians: on a 2-vCPU VM one run can land 30% off)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import { deliveryQueueName } from '../src/queue/jobs';
import { freePort } from '../src/runtime/private-redis';
import { NAIVE_QUEUE, type ServerCommand, type ServerMessage, type ServerMode } from './intake-server';
import { machine, percentile, ROOT } from './support';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = (process.env.CONNECTIONS ?? '10,50').split(',').map(Number);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const WARMUP_S = Number(process.env.WARMUP_S ?? 3);
const PROCESSES = (process.env.PROCESSES ?? `1,${availableParallelism()}`).split(',').map(Number).filter((n, i, all) => n >= 1 && all.indexOf(n) === i);
const LOG_LEVEL = process.env.LOG_LEVEL ?? 'info';
const CPU_PROF = process.env.INTAKE_CPU_PROF;
/** Which servers to measure (a profiling run may want leadgate alone); the × naive column needs naive. */
const TARGETS = (process.env.TARGETS ?? 'bare,naive,leadgate').split(',');
const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 1));

/**
 * What a landing page's fetch() sends: contact fields, a message, UTM tags and the page URL. Each post
 * has an email of its own (autocannon puts a new 27-character id for `[<id>]` in every request): one
 * person posting 30,000 times would put every lead's contact entry in the same index bucket, which
 * real traffic never does.
 */
const SUBMISSION = JSON.stringify({
  name: 'Jane Doe',
  email: 'jane.doe+[<id>]@example.com',
  phone: '+49 30 1234567',
  message: 'Hello, we are looking for a CRM integration for our three shops. Could you call me back on weekdays after 2 pm?',
  utm_source: 'google',
  utm_medium: 'cpc',
  utm_campaign: 'spring_sale_2026',
  utm_content: 'ad_variant_b',
  utm_term: 'crm integration',
  page_url: 'https://www.example.com/landing/spring?utm_source=google&utm_medium=cpc&gclid=EAIaIQobChMIx9mE3vXk',
});
const POST_HEADERS = { 'content-type': 'application/json', origin: 'https://www.example.com', referer: 'https://www.example.com/landing/spring' };

// ---------------------------------------------------------------------------------------------------
// The server in its own process

interface ServerProcess {
  mode: ServerMode;
  processes: number;
  url: string;
  pid: number;
  stats(): Promise<Extract<ServerMessage, { type: 'stats' }>>;
  stop(): Promise<void>;
}

async function startServer(mode: ServerMode, env: Record<string, string> = {}, processes = 1): Promise<ServerProcess> {
  const profile = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', resolve(CPU_PROF, `${mode}-${Date.now()}`)] : [];
  // The compiled server (compileServers), run by plain node as `npm start` and the image run leadgate:
  // one process, an IPC channel to it, and --cpu-prof profiles the server itself. stdout (the server's logs) is discarded.
  const child: ChildProcess = spawn(process.execPath, [...profile, SERVER_SCRIPT, mode], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL, LOG_LEVEL, PROCESSES: String(processes), ...(processes > 1 ? { PORT: String(await freePort()) } : {}), ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiters: Array<(m: ServerMessage) => boolean> = [];
  child.on('message', (message: ServerMessage) => {
    const index = waiters.findIndex((w) => w(message));
    if (index >= 0) waiters.splice(index, 1);
  });
  const next = <T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> =>
    new Promise((resolveMessage, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`${mode} server exited with ${code} while waiting for "${type}"`));
      child.once('exit', onExit);
      waiters.push((m) => {
        if (m.type !== type) return false;
        child.off('exit', onExit);
        resolveMessage(m as Extract<ServerMessage, { type: T }>);
        return true;
      });
    });
  const send = (command: ServerCommand): void => {
    child.send(command);
  };
  const ready = await next('ready');
  return {
    mode,
    processes,
    url: ready.url,
    pid: ready.pid,
    stats() {
      const reply = next('stats');
      send({ type: 'stats' });
      return reply;
    },
    async stop() {
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      const stopped = next('stopped').catch(() => undefined);
      send({ type: 'stop' });
      await stopped;
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// One load run

interface LoadRun {
  target: string;
  /** Which of the ROUNDS this run belongs to (1-based). */
  round?: number;
  /** Server processes (a node:cluster when more than one). */
  processes: number;
  connections: number;
  /** As autocannon reports it: DURATION_S, or up to a second more (it stops on its next 1 s tick, loaded until then). */
  seconds: number;
  responses2xx: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /**
   * CPU used over the run, in % of one core (the machine has 2, so 200% is all of it). `other` is the
   * rest of the machine (anything but the server, autocannon and Redis): it should stay near 0.
   */
  cpu: { server: number; loadGenerator: number; redis: number; other: number };
  /**
   * Server CPU time per 2xx answer, in µs (all its processes): what a post costs, which a machine shared
   * with other work changes far less than the rate (the rate falls with the CPU share the server gets).
   */
  cpuPerPostUs: number;
  /** Redis's side of a post: its CPU, the bytes it read (commands and their arguments) and the commands it ran. */
  redisPerPost: { cpuUs: number; inputBytes: number; calls: number };
  /** autocannon's own histogram (whole milliseconds), kept for comparison. */
  autocannon: { p50: number; p99: number; averageRequestsPerSecond: number };
}

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), NaN elsewhere. */
function machineCpuSeconds(): number {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number) as number[];
    return (user! + nice! + system! + irq! + softirq! + steal!) / 100; // USER_HZ
  } catch {
    return NaN;
  }
}

/** Redis's busy CPU seconds and what it has read and run so far (INFO cpu and stats). */
async function redisCounters(redis: Redis): Promise<{ cpuSeconds: number; inputBytes: number; calls: number }> {
  const info = await redis.info();
  const read = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return {
    cpuSeconds: read('used_cpu_sys') + read('used_cpu_user'),
    inputBytes: read('total_net_input_bytes'),
    calls: read('total_commands_processed'),
  };
}

async function load(
  server: ServerProcess,
  redis: Redis,
  target: string,
  request: { method: 'GET' | 'POST'; path: string; body?: string },
  connections: number,
  seconds: number,
): Promise<LoadRun> {
  // Latencies are kept here from each response's own timer (fractional ms): autocannon's histogram
  // records whole milliseconds, too coarse for answers that take 1–3 ms.
  const latencies: number[] = [];
  const [serverBefore, redisBefore] = await Promise.all([server.stats(), redisCounters(redis)]);
  const cpuBefore = process.cpuUsage();
  const machineBefore = machineCpuSeconds();
  const wallBefore = performance.now();
  const result = await new Promise<autocannon.Result>((resolveRun, reject) => {
    const instance = autocannon(
      {
        url: `${server.url}${request.path}`,
        method: request.method,
        ...(request.body ? { body: request.body, headers: POST_HEADERS } : {}),
        connections,
        pipelining: 1,
        idReplacement: true,
        duration: seconds,
        timeout: 10,
      },
      (err, res) => (err ? reject(err) : resolveRun(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  const wall = performance.now() - wallBefore;
  const cpuAfter = process.cpuUsage(cpuBefore);
  const machineBusy = machineCpuSeconds() - machineBefore;
  const [serverAfter, redisAfter] = await Promise.all([server.stats(), redisCounters(redis)]);
  const pct = (ms: number): number => Math.round((ms / wall) * 100);
  const cpuServer = serverAfter.cpuUserMs + serverAfter.cpuSystemMs - serverBefore.cpuUserMs - serverBefore.cpuSystemMs;
  const cpuLoad = (cpuAfter.user + cpuAfter.system) / 1000;
  const cpuRedis = (redisAfter.cpuSeconds - redisBefore.cpuSeconds) * 1000;
  const perPost = (n: number): number => (result['2xx'] > 0 ? Math.round(n / result['2xx']) : NaN);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
  return {
    target,
    processes: server.processes,
    connections,
    seconds: result.duration,
    responses2xx: result['2xx'],
    requestsPerSecond: Math.round(result['2xx'] / result.duration),
    p50: Number(percentile(latencies, 50).toFixed(2)),
    p99: Number(percentile(latencies, 99).toFixed(2)),
    max: Number(latencies.reduce((m, v) => Math.max(m, v), 0).toFixed(1)),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    cpuPerPostUs: perPost(cpuServer * 1000),
    redisPerPost: {
      cpuUs: perPost(cpuRedis * 1000),
      inputBytes: perPost(redisAfter.inputBytes - redisBefore.inputBytes),
      // Commands Redis ran, a script's own redis.call()s included (each counts as one).
      calls: Number(((redisAfter.calls - redisBefore.calls) / Math.max(1, result['2xx'])).toFixed(1)),
    },
    cpu: {
      server: pct(cpuServer),
      loadGenerator: pct(cpuLoad),
      redis: pct(cpuRedis),
      other: Math.max(0, pct(machineBusy * 1000 - cpuServer - cpuLoad - cpuRedis)),
    },
    autocannon: { p50: result.latency.p50, p99: result.latency.p99, averageRequestsPerSecond: result.requests.average },
  };
}

// ---------------------------------------------------------------------------------------------------
// Redis: nothing acknowledged lost, then clean up

interface Durability {
  target: ServerMode;
  processes: number;
  prefix: string;
  /** 202s the server sent (warm-up included), counted by the server process once nothing was in flight. */
  acknowledged: number;
  /** 202s autocannon received; fewer than `acknowledged` by the requests in flight when a run stopped. */
  received2xx: number;
  /**
   * Requests whose connection the load generator closed (at the end of a run) before the answer: such a
   * lead may be queued without any 202 having been sent, so `jobs` may exceed `acknowledged` by at most this.
   */
  abandoned: number;
  /** Delivery jobs in the portal's queue (BullMQ job counts, every state). */
  jobs: number;
  /** Lead status records (`<prefix>:lead:<id>`), written with each job (leadgate only; the naive gateway keeps none). */
  statusRecords: number;
  lost: number;
  keysDeleted: number;
}

async function deletePrefix(redis: Redis, prefix: string): Promise<{ deleted: number; statusRecords: number }> {
  let cursor = '0';
  let deleted = 0;
  let statusRecords = 0;
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = nextCursor;
    // `<prefix>:lead:<id>`, not `<prefix>:lead:<id>:attempts`.
    statusRecords += keys.filter((k) => k.startsWith(`${prefix}:lead:`) && !k.slice(prefix.length + 6).includes(':')).length;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return { deleted, statusRecords };
}

async function checkAndClean(redis: Redis, server: ServerProcess, prefix: string, received2xx: number): Promise<Durability> {
  // Wait until the server has answered everything it took (autocannon stops with requests in flight).
  let stats = await server.stats();
  for (let i = 0; i < 100 && stats.inFlight > 0; i += 1) {
    await new Promise((r) => setTimeout(r, 50));
    stats = await server.stats();
  }
  if (stats.inFlight > 0) throw new Error(`${stats.inFlight} requests still in flight`);
  const acknowledged = stats.byStatus['202'] ?? 0;
  const queue = new Queue(server.mode === 'naive' ? NAIVE_QUEUE : deliveryQueueName('main'), { connection: redis, prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  const jobs = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const { deleted, statusRecords } = await deletePrefix(redis, prefix);
  return { target: server.mode, processes: server.processes, prefix, acknowledged, received2xx, abandoned: stats.abandoned, jobs, statusRecords, lost: Math.max(0, acknowledged - jobs), keysDeleted: deleted };
}

// ---------------------------------------------------------------------------------------------------

const POST = { method: 'POST' as const, path: '/v1/forms/bench', body: SUBMISSION };

function line(r: LoadRun): string {
  return `${r.target} ×${r.processes} c=${r.connections}: ${r.requestsPerSecond} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}, server CPU ${r.cpuPerPostUs} µs/post, Redis ${r.redisPerPost.cpuUs} µs ${r.redisPerPost.inputBytes} B ${r.redisPerPost.calls} calls/post, cpu server ${r.cpu.server}% loadgen ${r.cpu.loadGenerator}% redis ${r.cpu.redis}% other ${r.cpu.other}%`;
}

/** Where compileServers puts bench/intake-server.ts (tsconfig.bench.json). */
const SERVER_SCRIPT = join(ROOT, 'dist-bench/bench/intake-server.js');

/**
 * Every server runs compiled, as users run leadgate (`npm start`, the image: tsc's output under plain
 * node), not through tsx: tsx's esbuild output reaches each export through a getter and names every
 * function it creates at run time (keepNames), which costs a code base of many small modules more
 * than the naive gateway's one handler. tsc is incremental here: a few seconds after the first build.
 */
function compileServers(): void {
  const started = performance.now();
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.bench.json')], { cwd: ROOT, stdio: 'inherit' });
  console.log(`compiled the servers (tsconfig.bench.json) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  compileServers();
  const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const runId = `bench-intake-${Date.now()}`;
  const runs: LoadRun[] = [];
  const durability: Array<Durability & { connections: number }> = [];
  const loadBefore = loadavg()[0]!;
  console.log(`machine: ${machine()}, Redis ${(await redis.info('server')).match(/redis_version:(\S+)/)?.[1]}, load average ${loadBefore.toFixed(2)}`);
  console.log(`connections ${CONNECTIONS.join(', ')}; processes ${PROCESSES.join(', ')}; ${WARMUP_S} s warm-up + ${DURATION_S} s per run; leadgate LOG_LEVEL=${LOG_LEVEL}`);

  /** One server (warm-up, measured run, then the Redis check for the queueing ones), stopped and cleaned whatever happens. */
  const measure = async (mode: ServerMode, processes: number, connections: number, round = 1): Promise<void> => {
    const prefix = `${runId}-${mode}-p${processes}-c${connections}`;
    const server = await startServer(mode, { INTAKE_PREFIX: prefix }, processes);
    try {
      const warm = await load(server, redis, 'warm-up', POST, connections, WARMUP_S);
      const r = { ...(await load(server, redis, mode, POST, connections, DURATION_S)), round };
      runs.push(r);
      console.log(line(r));
      if (mode === 'bare') return;
      const d = await checkAndClean(redis, server, prefix, warm.responses2xx + r.responses2xx);
      durability.push({ connections, ...d });
      console.log(`  Redis: ${d.acknowledged} acknowledged (202 sent), ${d.received2xx} 202s received, ${d.abandoned} abandoned by the client, ${d.jobs} jobs, ${d.statusRecords} status records, lost ${d.lost}; ${d.keysDeleted} keys deleted`);
    } finally {
      await server.stop();
      await deletePrefix(redis, prefix);
    }
  };

  try {
    for (const connections of CONNECTIONS) {
      if (TARGETS.includes('bare')) await measure('bare', 1, connections);
      // The reference and leadgate back to back at each size, so a change in the machine's load hits both.
      for (const processes of PROCESSES) {
        for (let round = 1; round <= ROUNDS; round += 1) {
          // Alternating which goes first, so neither always meets the machine warmed (or tired) by the other.
          const order = round % 2 === 1 ? (['naive', 'leadgate'] as const) : (['leadgate', 'naive'] as const);
          for (const mode of order) if (TARGETS.includes(mode)) await measure(mode, processes, connections, round);
        }
      }
    }
  } finally {
    redis.disconnect();
  }

  const loadAfter = loadavg()[0]!;
  // Load average is a weak signal on this VM (it reads ~2 when idle); each run's "rest of machine" CPU is the check.
  console.log(`load average before ${loadBefore.toFixed(2)}, after ${loadAfter.toFixed(2)}; anything else running skews every figure, references included`);
  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    durationSeconds: DURATION_S,
    warmupSeconds: WARMUP_S,
    logLevel: LOG_LEVEL,
    processes: PROCESSES,
    runs,
    durability,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/intake-latest.json'), `${JSON.stringify(result, null, 2)}\n`);

  const label: Record<string, string> = {
    bare: 'bare `express()` + `express.json()` → 202 (reference)',
    naive: 'naive gateway: helmet + `express.json` + ajv + BullMQ `Queue.add` → 202 (reference)',
    leadgate: '**leadgate `POST /v1/forms/bench` → 202**',
  };
  console.log('\n| run | processes | connections | seconds | requests/s (2xx) | × naive | p50 ms | p99 ms | max ms | non-2xx | errors | server CPU µs per 2xx | CPU % of a core: server / autocannon / Redis / rest of machine |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of runs) {
    const naive = runs.find((n) => n.target === 'naive' && n.processes === r.processes && n.connections === r.connections && n.round === r.round);
    const ratio = r.target === 'leadgate' && naive ? `**${(r.requestsPerSecond / naive.requestsPerSecond).toFixed(2)}**` : '';
    console.log(`| ${label[r.target]} | ${r.processes} | ${r.connections} | ${r.seconds} | ${r.requestsPerSecond} | ${ratio} | ${r.p50} | ${r.p99} | ${r.max} | ${r.non2xx} | ${r.errors + r.timeouts} | ${r.cpuPerPostUs} | ${r.cpu.server} / ${r.cpu.loadGenerator} / ${r.cpu.redis} / ${r.cpu.other} |`);
  }
  if (ROUNDS > 1) {
    console.log(`\n| medians of ${ROUNDS} rounds | processes | connections | naive requests/s | leadgate requests/s | × naive (ratio of the medians) | median of the rounds' ratios | naive p99 ms | leadgate p99 ms | naive CPU µs per 2xx | leadgate CPU µs per 2xx | leadgate × naive, each round |`);
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const connections of CONNECTIONS) {
      for (const processes of PROCESSES) {
        const of = (target: string) => runs.filter((r) => r.target === target && r.processes === processes && r.connections === connections);
        const [naive, lg] = [of('naive'), of('leadgate')];
        if (naive.length === 0 || lg.length === 0) continue;
        const median = (rs: LoadRun[], pick: (r: LoadRun) => number) => percentile(rs.map(pick).sort((a, b) => a - b), 50);
        const [nRate, lRate] = [median(naive, (r) => r.requestsPerSecond), median(lg, (r) => r.requestsPerSecond)];
        // Each round's pair ran back to back: its ratio cancels a drift of the machine that the medians of each do not.
        const ratios = lg.map((r) => r.requestsPerSecond / naive.find((n) => n.round === r.round)!.requestsPerSecond);
        const each = ratios.map((x) => x.toFixed(2)).join(', ');
        const medianRatio = percentile([...ratios].sort((a, b) => a - b), 50);
        console.log(`| | ${processes} | ${connections} | ${nRate} | ${lRate} | **${(lRate / nRate).toFixed(2)}** | **${medianRatio.toFixed(2)}** | ${median(naive, (r) => r.p99)} | ${median(lg, (r) => r.p99)} | ${median(naive, (r) => r.cpuPerPostUs)} | ${median(lg, (r) => r.cpuPerPostUs)} | ${each} |`);
      }
    }
  }
  console.log('\n| run (warm-up included) | processes | connections | 202s sent by the server | 202s received by autocannon | requests abandoned by autocannon at stop | jobs in Redis | status records | acknowledged but not in Redis |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const d of durability) console.log(`| ${d.target} | ${d.processes} | ${d.connections} | ${d.acknowledged} | ${d.received2xx} | ${d.abandoned} | ${d.jobs} | ${d.target === 'leadgate' ? d.statusRecords : '–'} | ${d.lost} |`);
  // Every 202 sent is a job; a job without a 202 can only come from a POST the client abandoned mid-request.
  const failed = durability.some((d) => d.lost > 0 || d.jobs > d.acknowledged + d.abandoned || (d.target === 'leadgate' && d.statusRecords !== d.jobs));
  if (failed) {
    console.error('\nFAILED: Redis does not hold exactly the acknowledged jobs');
    process.exit(1);
  }
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
