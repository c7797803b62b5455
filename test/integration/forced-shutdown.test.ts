import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { startPrivateRedis } from '../../src/runtime/private-redis';
import { startLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { copiesOf, leadView, submitLeads } from '../helpers/delivery-probes';
import { dropPrefix } from '../helpers/redis';
import { exited, spawnLeadgate } from '../helpers/spawn-leadgate';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/** A wait that never holds the test process open. */
const sleep = (ms: number, unref = false): Promise<void> => new Promise((r) => (unref ? setTimeout(r, ms).unref() : setTimeout(r, ms)));

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('forced-shutdown', { overrides: { delivery: { shutdownTimeoutMs: 1000 } } });
});

afterAll(async () => {
  await stack.stop();
});

describe('#6 a stop while the portal holds a request', () => {
  it('abandons the request at delivery.shutdownTimeoutMs, and the lead is looked up before it is added again', async () => {
    // The portal commits the lead, then holds the answer for 15 s.
    stack.sim.injectFault({ kind: 'delay', count: 1, ms: 15_000, method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'held');
    await waitFor(() => copiesOf(stack.sim, id!) === 1 && stack.sim.stats().inFlight > 0, 'the held request committed', 10_000, 25);

    const started = Date.now();
    await stack.api.stop();
    // The limit is 1 s, plus up to 2 s for the abandoned job to write its outcome; the held answer
    // would come at 15 s. Only an upper bound far from both, so a loaded machine cannot flake it.
    expect(Date.now() - started).toBeLessThan(8000);

    stack.api = await startLeadgate({ config: stack.config, role: 'all', logger: silentLogger });
    const view = await waitFor(async () => {
      const v = await leadView(stack.api.url, id!);
      return v.status === 'delivered' ? v : undefined;
    }, 'the lead delivered by the next worker', 15_000, 100);
    expect(copiesOf(stack.sim, id!)).toBe(1);
    expect(view.history.map((a) => a.outcome)).toEqual(['retry', 'reconciled']);
  });
});

describe('#6 a leadgate process told to stop while Redis stops answering', () => {
  it('exits by itself delivery.shutdownTimeoutMs + 5 s after the signal', async () => {
    const redis = await startPrivateRedis();
    const portal = await startStack('forced-exit', { role: 'api', redisUrl: redis.url });
    const file = join(mkdtempSync(join(tmpdir(), 'leadgate-forced-exit-')), 'leadgate.yaml');
    const raw = {
      redis: { url: redis.url, prefix: portal.prefix },
      worker: { port: 0, host: '127.0.0.1' },
      delivery: { shutdownTimeoutMs: 1000 },
      destinations: { main: { webhookUrl: portal.sim.webhookUrl } },
      forms: {},
      acceptAnyForm: true,
    };
    writeFileSync(file, JSON.stringify(raw));
    const worker = spawnLeadgate(['worker', '--config', file]);
    const info = new IORedis(redis.url);
    const redisPid = Number(/process_id:(\d+)/.exec(await info.info('server'))![1]);
    info.disconnect();
    try {
      const [id] = await submitLeads(portal.api.url, 1, 'exit');
      await waitFor(() => copiesOf(portal.sim, id!) === 1, 'the worker process delivering', 20_000, 50);
      // Frozen, not gone: connections stay open and every Redis call hangs, so a graceful stop cannot finish.
      process.kill(redisPid, 'SIGSTOP');
      const signalled = Date.now();
      worker.kill('SIGTERM');
      const exit = await Promise.race([exited(worker).then(() => Date.now() - signalled), sleep(20_000, true).then(() => Infinity)]);
      // shutdownTimeoutMs + 5 s is the promise; the margin is for a loaded machine.
      expect(exit).toBeLessThan(1000 + 5000 + 4000);
    } finally {
      worker.kill('SIGKILL');
      process.kill(redisPid, 'SIGCONT');
      await portal.stop();
      await dropPrefix(portal.prefix, redis.url).catch(() => undefined);
      await redis.destroy();
    }
  });
});
