/**
 * The server side of the intake benchmark (bench/intake.ts), run in its own process so the load
 * generator never shares its event loop:
 *
 *   node dist-bench/bench/intake-server.js leadgate|naive|bare     (compiled and started by bench/intake.ts over IPC)
 *
 * `leadgate` is the real API role (`startLeadgate({ role: 'api' })`, no worker) with the production
 * logger at LOG_LEVEL (default info, written to this process's stdout, which the bench discards);
 * `naive` is issue 13's reference gateway: express + helmet + express.json + one ajv schema + BullMQ
 * `Queue.add`, answering 202 once Redis holds the job; `bare` is a plain express() app with
 * express.json() answering 202, no validation, no Redis. Each counts the answers it sends by status
 * and the requests still in flight, so the bench can compare what the server acknowledged with what
 * Redis holds once nothing is in flight.
 *
 * PROCESSES=N (N > 1) runs N copies under node:cluster on PORT (as `leadgate api --processes N` does):
 * this process is then the cluster primary, which only relays the bench's commands to every worker
 * and sums their answers (CPU included).
 */
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv from 'ajv';
import { Queue } from 'bullmq';
import express from 'express';
import helmet from 'helmet';
import IORedis from 'ioredis';
import { buildConfig } from '../src/config/load-config';
import { startLeadgate } from '../src/runtime/services';
import { createLogger } from '../src/shared/logger';

export type ServerMode = 'leadgate' | 'naive' | 'bare';

/** The queue the naive gateway adds to (under its INTAKE_PREFIX), so the bench can count its jobs. */
export const NAIVE_QUEUE = 'leads';

/** Parent → child. */
export type ServerCommand = { type: 'stats' } | { type: 'stop' };

/** Child → parent. */
export type ServerMessage =
  | { type: 'ready'; url: string; pid: number }
  | { type: 'stats'; inFlight: number; byStatus: Record<string, number>; abandoned: number; cpuUserMs: number; cpuSystemMs: number }
  | { type: 'stopped' };

/** Answers fully handed to the socket, by status. */
const byStatus: Record<string, number> = {};
let inFlight = 0;
/** POSTs whose connection closed before the answer was sent (the load generator stops mid-request). */
let abandoned = 0;

function count(server: Server): void {
  server.on('request', (req, res) => {
    inFlight += 1;
    const post = req.method === 'POST';
    res.once('finish', () => {
      byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
    });
    res.once('close', () => {
      inFlight -= 1;
      if (post && !res.writableFinished) abandoned += 1;
    });
  });
}

/** Listens on PORT (a cluster's shared port) or, alone, on any free port. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

function closing(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/**
 * Issue 13's "naive gateway", built from the packages leadgate uses: helmet, express.json, one ajv
 * schema for the landing page's fields, BullMQ `Queue.add` with default options, 202 once the add
 * resolved (Redis holds the job). No rate limit, no status record, no idempotency, no logging.
 */
async function startNaive(): Promise<{ url: string; stop(): Promise<void> }> {
  const prefix = process.env.INTAKE_PREFIX;
  if (!prefix) throw new Error('INTAKE_PREFIX is required');
  const text = { type: 'string', maxLength: 1000 };
  const validate = new Ajv().compile({
    type: 'object',
    properties: {
      name: text, email: { type: 'string', maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' }, phone: { type: 'string', maxLength: 40 }, message: { type: 'string', maxLength: 5000 },
      utm_source: text, utm_medium: text, utm_campaign: text, utm_content: text, utm_term: text, page_url: { type: 'string', maxLength: 2000 },
    },
    anyOf: [{ required: ['email'] }, { required: ['phone'] }],
    additionalProperties: { type: 'string', maxLength: 1000 },
  });
  const connection = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const queue = new Queue(NAIVE_QUEUE, { connection, prefix });
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.use(express.json());
  app.post('/v1/forms/:formId', async (req, res) => {
    if (!validate(req.body)) {
      res.status(400).json({ error: 'validation_failed', details: validate.errors });
      return;
    }
    try {
      const job = await queue.add('lead', { form: req.params.formId, fields: req.body, receivedAt: new Date().toISOString() });
      res.status(202).json({ id: job.id, status: 'queued' });
    } catch {
      res.status(503).json({ error: 'queue_unavailable' });
    }
  });
  const server = createServer(app);
  count(server);
  const url = await listen(server);
  const close = closing(server);
  return {
    url,
    async stop() {
      await close();
      await queue.close();
      connection.disconnect();
    },
  };
}

async function startBare(): Promise<{ url: string; stop(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  let n = 0;
  app.post('/v1/forms/:formId', (_req, res) => {
    n += 1;
    res.status(202).json({ id: `lg_bare${n}`, status: 'queued' });
  });
  const server = createServer(app);
  count(server);
  return { url: await listen(server), stop: closing(server) };
}

async function startApi(): Promise<{ url: string; stop(): Promise<void> }> {
  const prefix = process.env.INTAKE_PREFIX;
  if (!prefix) throw new Error('INTAKE_PREFIX is required');
  const config = buildConfig(
    {
      // WAIT_REPLICAS=1 measures redis.waitReplicas (REDIS_URL must then be a master with a replica).
      redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix, waitReplicas: Number(process.env.WAIT_REPLICAS ?? 0) },
      // The per-IP limit would refuse a load generator on one address; raised so every POST is measured.
      http: { port: Number(process.env.PORT ?? 0), host: '127.0.0.1', rateLimit: { windowMs: 60_000, limit: 1_000_000_000 } },
      // No worker runs (role api); the destination only has to be valid.
      destinations: { main: { webhookUrl: 'http://127.0.0.1:9/rest/1/benchcode/', plan: 'standard' } },
      forms: {},
      acceptAnyForm: true,
    },
    {},
  );
  const running = await startLeadgate({ config, role: 'api', logger: createLogger({ level: process.env.LOG_LEVEL ?? 'info' }) });
  count(running.server);
  return { url: running.url, stop: () => running.stop() };
}

/** One server in this process, driven by its parent (the bench, or a cluster primary) over IPC. */
async function serve(mode: ServerMode): Promise<void> {
  if (!process.send) throw new Error('start this file from bench/intake.ts (it needs an IPC channel)');
  const started = mode === 'bare' ? await startBare() : mode === 'naive' ? await startNaive() : mode === 'leadgate' ? await startApi() : undefined;
  if (!started) throw new Error(`unknown mode "${mode}" (leadgate, naive or bare)`);
  const send = (message: ServerMessage): void => {
    process.send!(message);
  };
  process.on('message', (command: ServerCommand) => {
    if (command.type === 'stats') {
      const cpu = process.cpuUsage();
      send({ type: 'stats', inFlight, byStatus: { ...byStatus }, abandoned, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 });
    } else if (command.type === 'stop') {
      void started.stop().then(() => {
        send({ type: 'stopped' });
        // A normal exit, so --cpu-prof (INTAKE_CPU_PROF) writes its profile.
        process.removeAllListeners('disconnect');
        process.disconnect();
        process.exit(0);
      });
    }
  });
  // The bench went away (killed, crashed): never outlive it.
  process.on('disconnect', () => process.exit(1));
  send({ type: 'ready', url: started.url, pid: process.pid });
}

/** The cluster primary: forks N servers on PORT, relays each command to all of them and sums the answers. */
async function supervise(mode: ServerMode, processes: number): Promise<void> {
  if (!process.send) throw new Error('start this file from bench/intake.ts (it needs an IPC channel)');
  const workers: ClusterWorker[] = [];
  const reply = (worker: ClusterWorker, type: ServerMessage['type']): Promise<ServerMessage> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: ServerMessage): void => {
        if (message.type !== type) return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number): void => reject(new Error(`${mode} worker exited with ${code} while waiting for "${type}"`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
  const readies: Array<Promise<ServerMessage>> = [];
  for (let i = 0; i < processes; i += 1) {
    const worker = cluster.fork();
    workers.push(worker);
    readies.push(reply(worker, 'ready'));
  }
  const [first] = (await Promise.all(readies)) as Array<Extract<ServerMessage, { type: 'ready' }>>;
  const send = (message: ServerMessage): void => {
    process.send!(message);
  };
  process.on('message', (command: ServerCommand) => {
    const answers = workers.map((w) => reply(w, command.type === 'stats' ? 'stats' : 'stopped'));
    for (const w of workers) w.send(command);
    void Promise.all(answers).then((all) => {
      if (command.type === 'stop') {
        send({ type: 'stopped' });
        process.removeAllListeners('disconnect');
        process.disconnect();
        process.exit(0);
      }
      const stats = all as Array<Extract<ServerMessage, { type: 'stats' }>>;
      const statuses: Record<string, number> = {};
      for (const s of stats) for (const [code, n] of Object.entries(s.byStatus)) statuses[code] = (statuses[code] ?? 0) + n;
      const own = process.cpuUsage();
      const sum = (pick: (s: Extract<ServerMessage, { type: 'stats' }>) => number): number => stats.reduce((total, s) => total + pick(s), 0);
      send({
        type: 'stats', inFlight: sum((s) => s.inFlight), byStatus: statuses, abandoned: sum((s) => s.abandoned),
        cpuUserMs: own.user / 1000 + sum((s) => s.cpuUserMs), cpuSystemMs: own.system / 1000 + sum((s) => s.cpuSystemMs),
      });
    });
  });
  process.on('disconnect', () => process.exit(1));
  send({ type: 'ready', url: first!.url, pid: process.pid });
}

async function main(): Promise<void> {
  const mode = process.argv[2] as ServerMode;
  const processes = Number(process.env.PROCESSES ?? 1);
  if (cluster.isPrimary && processes > 1) await supervise(mode, processes);
  else await serve(mode);
}

// Only when run (bench/intake.ts imports the types and NAIVE_QUEUE from here).
if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err);
    process.exit(1);
  });
}
