import IORedis from 'ioredis';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

let stack: Stack;

afterEach(async () => {
  await stack.stop();
});

async function pausedForMs(): Promise<number> {
  const redis = new IORedis(stack.config.redis.url);
  const pausedUntil = Number(await redis.hget(`${stack.prefix}:bucket:main`, 'pausedUntil'));
  redis.disconnect();
  return pausedUntil - Date.now();
}

async function statusOf(id: string): Promise<{ status: string; attempts: number }> {
  return (await (await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } })).json()) as never;
}

describe('the operating limit', () => {
  it('is respected: leadgate holds the destination back before Bitrix24 blocks the method, keeping the leads', async () => {
    // A portal whose crm.lead.add may run 0.3 s per 10 minutes; each call costs 40 ms of that.
    stack = await startStack('operating-limit', { sim: { operatingLimitSeconds: 0.3, processingMs: 40 }, destination: { operatingLimitSeconds: 0.3 } });
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      ids.push(((await (await postJson(`${stack.api.url}/v1/forms/contact`, { email: `op${i}@example.com` })).json()) as { id: string }).id);
      // One lead at a time, so each is its own crm.lead.add (40 ms of the method's budget): leads that
      // piled up on a busy machine would go out as one batch, which a portal bills to \`batch\` instead.
      await waitFor(async () => stack.sim.leads().length === i + 1 || (await pausedForMs()) > 0, `lead ${i} created, or the destination held`);
    }
    await sleep(1000);
    const created = stack.sim.leads().length;
    // 0.9 × 0.3 s = 0.27 s: the 7th 40 ms call reaches it; later leads wait for operating_reset_at.
    expect(created).toBeGreaterThanOrEqual(6);
    expect(created).toBeLessThan(12);
    expect(stack.sim.stats().operationTimeLimit).toBe(0);

    expect(await pausedForMs()).toBeGreaterThan(60_000);
    expect(await statusOf(ids[ids.length - 1]!)).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('when the portal blocks the method anyway (OPERATION_TIME_LIMIT), waits for operating_reset_at without spending attempts', async () => {
    // leadgate believes the default 480 s; the portal's real limit is far lower.
    stack = await startStack('operating-limit-429', { sim: { operatingLimitSeconds: 0.2, processingMs: 40 } });
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      ids.push(((await (await postJson(`${stack.api.url}/v1/forms/contact`, { email: `block${i}@example.com` })).json()) as { id: string }).id);
      await sleep(60);
    }
    await sleep(1000);
    expect(stack.sim.stats().operationTimeLimit).toBeGreaterThanOrEqual(1);
    expect(stack.sim.stats().operationTimeLimit).toBeLessThanOrEqual(2);
    expect(await pausedForMs()).toBeGreaterThan(60_000);
    for (const id of ids) expect((await statusOf(id)).status).not.toBe('dead');
    expect((await statusOf(ids[ids.length - 1]!)).attempts).toBe(0);
  });
});
