import { spawn, type ChildProcess } from 'node:child_process';
import IORedis from 'ioredis';
import { join } from 'node:path';
import { freePort } from '../src/runtime/private-redis';
import { Bitrix24SimulatorClient } from '@leadgate/simulators';

export const ROOT = join(__dirname, '..');

export interface SimProcess {
  client: Bitrix24SimulatorClient;
  url: string;
  webhookUrl: string;
  stop(): Promise<void>;
}

/**
 * The Bitrix24 simulator in its own process, as a real portal would be: its event loop does not
 * compete with leadgate's, and it is driven only over HTTP.
 */
/** Simulator processes still running: stopped if the benchmark itself is interrupted. */
const running = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGTERM');
    process.exit(130);
  });
}

/** Stops `child` with the benchmark if the benchmark is interrupted. */
export function stopWithBenchmark(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

export async function startSimProcess(plan: 'standard' | 'enterprise' = 'standard', extraArgs: string[] = []): Promise<SimProcess> {
  const port = await freePort();
  // tsx's loader in this one process (not the tsx CLI, which forks a second one per simulator).
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sim', 'bitrix24', '--port', String(port), '--plan', plan, ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  stopWithBenchmark(child);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const client = new Bitrix24SimulatorClient(url);
  const info = await client.info();
  return {
    client,
    url,
    webhookUrl: info.webhookUrl,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function machine(): string {
  const os = require('node:os') as typeof import('node:os');
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Deletes a benchmark run's keys (SCAN on its prefix; never FLUSHALL on a Redis others may use). */
export async function dropPrefix(url: string, prefix: string): Promise<number> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
