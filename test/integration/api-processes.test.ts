import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { deliveryQueueName } from '../../src/queue/jobs';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { Queue } from 'bullmq';
import { exited, spawnLeadgate } from '../helpers/spawn-leadgate';
import { postJson } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/** A wait that never holds the test process open. */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Api {
  child: ChildProcess;
  url: string;
  spool: string;
  /** pids of the API processes that logged "leadgate started", in order. */
  started: number[];
}

let redis: PrivateRedis;

beforeAll(async () => {
  // A Redis of our own: one spec freezes it (SIGSTOP), which a shared server must never see.
  redis = await startPrivateRedis();
});

afterAll(async () => {
  await redis.destroy();
});

async function startApi(processes: string, prefix: string): Promise<Api> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'leadgate-processes-'));
  const file = join(dir, 'leadgate.yaml');
  const spool = join(dir, 'spool');
  writeFileSync(file, JSON.stringify({
    redis: { url: redis.url, prefix },
    http: { port, host: '127.0.0.1' },
    intake: { spool: { directory: spool } },
    delivery: { shutdownTimeoutMs: 1000 },
    destinations: { main: { webhookUrl: 'http://127.0.0.1:9/rest/1/code/' } },
    forms: {},
    acceptAnyForm: true,
  }));
  const child = spawnLeadgate(['api', '--processes', processes, '--config', file], { env: { LOG_LEVEL: 'info' }, captureStdout: true });
  const api: Api = { child, url: `http://127.0.0.1:${port}`, spool, started: [] };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const entry = JSON.parse(line) as { msg?: string; pid?: number };
      if (entry.msg === 'leadgate started' && entry.pid) api.started.push(entry.pid);
    }
  });
  return api;
}

async function jobsIn(prefix: string): Promise<number> {
  const connection = new IORedis(redis.url, { maxRetriesPerRequest: 1 });
  const queue = new Queue(deliveryQueueName('main'), { connection, prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  connection.disconnect();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('leadgate api --processes N', () => {
  it('runs N API processes on one port, each with its own spool, and stops them all on SIGTERM with exit code 0', async () => {
    const api = await startApi('2', 'lgtest-processes-a');
    try {
      await waitFor(() => api.started.length === 2, 'two API processes started', 180_000, 50);
      expect(new Set(api.started).size).toBe(2);
      expect(api.started).not.toContain(api.child.pid);
      expect(existsSync(join(api.spool, 'process-0'))).toBe(true);
      expect(existsSync(join(api.spool, 'process-1'))).toBe(true);

      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => postJson(`${api.url}/v1/forms/contact`, { email: `p${i}@example.com` })));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(202));
      expect(await jobsIn('lgtest-processes-a')).toBe(20);

      api.child.kill('SIGTERM');
      expect(await exited(api.child)).toBe(0);
      expect(api.started.filter(alive)).toEqual([]);
    } finally {
      api.child.kill('SIGKILL');
    }
  }, 420_000);

  it('replaces a process that dies while running', async () => {
    const api = await startApi('2', 'lgtest-processes-b');
    try {
      await waitFor(() => api.started.length === 2, 'two API processes started', 180_000, 50);
      process.kill(api.started[0]!, 'SIGKILL');
      await waitFor(() => api.started.length === 3, 'a third API process started', 180_000, 50);
      expect((await postJson(`${api.url}/v1/forms/contact`, { email: 'after@example.com' })).status).toBe(202);
      api.child.kill('SIGTERM');
      expect(await exited(api.child)).toBe(0);
    } finally {
      api.child.kill('SIGKILL');
    }
  }, 420_000);

  it('stops within delivery.shutdownTimeoutMs + 5 s while Redis hangs, every process with it; a second signal forces it at once', async () => {
    const info = new IORedis(redis.url);
    const redisPid = Number(/process_id:(\d+)/.exec(await info.info('server'))![1]);
    info.disconnect();
    const hung = await startApi('2', 'lgtest-processes-c');
    const forced = await startApi('2', 'lgtest-processes-d');
    try {
      await waitFor(() => hung.started.length === 2 && forced.started.length === 2, 'both APIs started', 240_000, 50);
      // Frozen, not gone: connections stay open and every Redis call hangs, so a graceful stop cannot finish.
      process.kill(redisPid, 'SIGSTOP');
      const signalled = Date.now();
      hung.child.kill('SIGTERM');
      forced.child.kill('SIGTERM');
      await sleep(300);
      forced.child.kill('SIGTERM');
      const forcedExit = await Promise.race([exited(forced.child).then(() => Date.now() - signalled), sleep(20_000).then(() => Infinity)]);
      const hungExit = await Promise.race([exited(hung.child).then(() => Date.now() - signalled), sleep(20_000).then(() => Infinity)]);
      // Upper bounds only, with a margin for a loaded machine: forced well before the graceful limit.
      expect(forcedExit).toBeLessThan(4000);
      expect(hungExit).toBeLessThan(1000 + 5000 + 5000);
      expect([...hung.started, ...forced.started].filter(alive)).toEqual([]);
    } finally {
      process.kill(redisPid, 'SIGCONT');
      hung.child.kill('SIGKILL');
      forced.child.kill('SIGKILL');
    }
  }, 420_000);
});
