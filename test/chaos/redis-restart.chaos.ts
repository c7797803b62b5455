/**
 * Finding 3 and the queue's durability: Redis (AOF, fsync always) is SIGKILLed twice while leads
 * flow and restarted on the same files. The API answers 503 meanwhile; the client retries with the
 * same Idempotency-Key. Only 202 answers count, and each of them must reach the portal once; a lead
 * stored for a 503 and then stored again for its retry shows up as `unexpected`.
 */
import { sleep } from '../helpers/wait-for';
import { feedLeads } from './harness/lead-feeder';
import { runScenario } from './harness/scenario';
import { expectedVerdict } from './harness/verdict';

const LEADS = Number(process.env.CHAOS_LEADS ?? 250);

it('Redis SIGKILLed and restarted with AOF while leads flow: accepted leads arrive exactly once', async () => {
  const verdict = await runScenario({ name: 'redis-restart', settleTimeoutMs: 120_000 }, async (ctx) => {
    const outages = (async () => {
      for (const at of [4000, 6000]) {
        await sleep(at);
        await ctx.redis.kill();
        await sleep(2000);
        await ctx.redis.start();
      }
    })();
    const fed = await feedLeads({ apiUrl: ctx.cluster.apiUrl, count: LEADS, perSecond: 20, runId: ctx.runId });
    await outages;
    process.stdout.write(`chaos redis-restart: ${fed.retries} client retries\n`);
    return fed;
  });
  expect(verdict).toEqual(expectedVerdict(verdict));
});
