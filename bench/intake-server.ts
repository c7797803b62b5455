/**
 * The server side of the intake benchmark (bench/intake.ts), run in its own process so the load
 * generator never shares its event loop:
 *
 *   node --import tsx bench/intake-server.ts leadgate|bare     (started by bench/intake.ts over IPC)
 *
 * `leadgate` is the real API role (`startLeadgate({ role: 'api' })`, no worker) with the production
 * logger at LOG_LEVEL (default info, written to this process's stdout, which the bench discards);
 * `bare` is the reference: a plain express() app with express.json() answering 202, no validation,
 * no Redis. Both count the answers they send by status and the requests still in flight, so the
 * bench can compare what the server acknowledged with what Redis holds once nothing is in flight.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { buildConfig } from '../src/config/load-config';
import { startLeadgate } from '../src/runtime/services';
import { createLogger } from '../src/shared/logger';

export type ServerMode = 'leadgate' | 'bare';

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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function startApi(): Promise<{ url: string; stop(): Promise<void> }> {
  const prefix = process.env.INTAKE_PREFIX;
  if (!prefix) throw new Error('INTAKE_PREFIX is required');
  const config = buildConfig(
    {
      // WAIT_REPLICAS=1 measures redis.waitReplicas (REDIS_URL must then be a master with a replica).
      redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix, waitReplicas: Number(process.env.WAIT_REPLICAS ?? 0) },
      // The per-IP limit would refuse a load generator on one address; raised so every POST is measured.
      http: { port: 0, host: '127.0.0.1', rateLimit: { windowMs: 60_000, limit: 1_000_000_000 } },
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

async function main(): Promise<void> {
  const mode = process.argv[2] as ServerMode;
  if (!process.send) throw new Error('start this file from bench/intake.ts (it needs an IPC channel)');
  const started = mode === 'bare' ? await startBare() : mode === 'leadgate' ? await startApi() : undefined;
  if (!started) throw new Error(`unknown mode "${mode}" (leadgate or bare)`);
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

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
