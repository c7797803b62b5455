import { LeadWriter } from '../../src/clients/bitrix24/lead-writer';
import IORedis from 'ioredis';
import { createBitrix24Client } from '../../src/clients/bitrix24/create-client';
import { LeadLedger } from '../../src/queue/lead-ledger';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { PortalDispatcher } from '../../src/worker/portal-dispatcher';
import { PortalRateLimiter } from '../../src/worker/portal-rate-limiter';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

let redis: PrivateRedis;
let portal: Stack;

beforeAll(async () => {
  // A Redis of our own: the spec freezes it (CLIENT PAUSE), which a shared server must never see.
  redis = await startPrivateRedis();
  portal = await startStack('no-empty-batch', { role: 'api', redisUrl: redis.url });
});

afterAll(async () => {
  await portal.stop();
  await redis.destroy();
});

describe('#7 leads released while the dispatcher waits for request budget', () => {
  it('never make it send a batch with no commands', async () => {
    // A worker's connection: it waits for Redis rather than failing a command.
    const connection = new IORedis(redis.url, { maxRetriesPerRequest: null });
    const dispatcher = new PortalDispatcher({
      writer: new LeadWriter(createBitrix24Client('main', { webhookUrl: portal.sim.webhookUrl, timeoutMs: 5000 }, { redis: connection, prefix: portal.prefix })),
      limiter: new PortalRateLimiter(connection, portal.prefix, 'main', { drainPerSecond: 2, limit: 50 }),
      markUnsure: (ids) => new LeadLedger(connection, portal.prefix, 3600).markUnsure(ids),
      originatorId: 'leadgate',
      maxBatchSize: 50,
    });
    const before = portal.sim.calls().length;
    // Redis holds the budget request while the worker shuts down and hands its leads back; then the
    // budget is granted to a dispatcher with nothing left to send.
    const admin = new IORedis(redis.url);
    await admin.call('CLIENT', 'PAUSE', '800', 'ALL');
    const outcomes = ['a', 'b'].map((leadId) =>
      dispatcher.deliver({ leadId, fields: { TITLE: leadId, ORIGINATOR_ID: 'leadgate', ORIGIN_ID: leadId }, reconcileFirst: false }).then(
        () => 'sent',
        (err: Error) => err.name,
      ),
    );
    await sleep(100);
    dispatcher.release();
    expect(await Promise.all(outcomes)).toEqual(['LeadReleasedError', 'LeadReleasedError']);
    await waitFor(async () => (await admin.ping()) === 'PONG', 'Redis answering again', 5000);
    await sleep(500);
    expect(portal.sim.calls().slice(before)).toEqual([]);
    admin.disconnect();
    connection.disconnect();
  });
});
