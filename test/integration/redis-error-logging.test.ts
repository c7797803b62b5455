import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { createLogger } from '../../src/shared/logger';
import { dropPrefix } from '../helpers/redis';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

let redis: PrivateRedis;
let portal: Stack;
let worker: RunningLeadgate | undefined;

beforeAll(async () => {
  // A Redis of our own, to stop under a running worker.
  redis = await startPrivateRedis();
  portal = await startStack('redis-error-logging', { role: 'api', redisUrl: redis.url });
});

afterAll(async () => {
  await worker?.stop();
  await portal.stop();
  await dropPrefix(portal.prefix, redis.url).catch(() => undefined);
  await redis.destroy();
});

interface LogLine {
  level: number;
  msg: string;
  err?: string;
  [context: string]: unknown;
}

/** Which emitter a line speaks for: its context fields, without what changes from line to line. */
function emitter(line: LogLine): string {
  const { level: _l, time: _t, pid: _p, service: _s, msg: _m, err: _e, alsoSince: _a, ...context } = line;
  return JSON.stringify(context);
}

describe('#10 a worker whose Redis goes away', () => {
  it('says so in its log, at most once per 10 s for each connection, queue and worker', async () => {
    const lines: LogLine[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (text: string) => void lines.push(JSON.parse(text) as LogLine) } });
    worker = await startLeadgate({ config: portal.config, role: 'worker', logger });
    await sleep(300);
    const startedAt = lines.length;

    await redis.stop();
    // ioredis retries every 50 ms growing to 2 s: several reconnect failures per emitter in this window.
    await waitFor(() => lines.slice(startedAt).some((l) => l.level >= 50), 'an error logged', 15_000, 100);
    await sleep(4000);
    const errors = lines.slice(startedAt).filter((l) => l.level >= 50);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((l) => /ECONNREFUSED|Connection is closed|connect/i.test(String(l.err)))).toBe(true);
    const perEmitter = new Map<string, number>();
    for (const line of errors) perEmitter.set(emitter(line), (perEmitter.get(emitter(line)) ?? 0) + 1);
    expect([...perEmitter.values()].every((n) => n === 1)).toBe(true);
    // The connections themselves speak, not only the BullMQ worker: a worker blocked on Redis says so.
    expect(errors.some((l) => typeof l.redis === 'string')).toBe(true);

    // Stopped once its connections are back: a BullMQ worker closed mid-reconnect may never finish closing.
    await redis.restart();
    await waitFor(async () => (await fetch(`${worker!.url}/readyz`).catch(() => undefined))?.status === 200, 'the worker back on Redis', 15_000, 100);
    await sleep(500);
  });
});
