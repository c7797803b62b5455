/**
 * The intake spool's bar (#8): Redis is SIGKILLed for 10 s while a client posts every 250 ms; the
 * API process is SIGKILLed too before Redis returns, then both are restarted (the API on the same
 * spool directory). Every submission must be answered 202 at its first attempt, and reach the
 * portal exactly once: what the killed API had spooled is recovered and drained by the new one.
 */
import { sleep } from '../helpers/wait-for';
import { feedLeads } from './harness/lead-feeder';
import { runScenario } from './harness/scenario';
import { expectedVerdict } from './harness/verdict';

it('Redis SIGKILLed for 10 s and the API SIGKILLed before it returns: every submission 202 at once, delivered exactly once', async () => {
  let firstTry = 0;
  const verdict = await runScenario({ name: 'intake-spool', settleTimeoutMs: 120_000 }, async (ctx) => {
    const before = await feedLeads({ apiUrl: ctx.cluster.apiUrl, count: 8, perSecond: 4, runId: `${ctx.runId}-a` });
    await ctx.redis.kill();
    const outageStarted = Date.now();
    // 40 posts, one every 250 ms: the whole 10 s outage.
    const during = await feedLeads({ apiUrl: ctx.cluster.apiUrl, count: 40, perSecond: 4, runId: `${ctx.runId}-b` });
    await ctx.cluster.killApi();
    await sleep(Math.max(0, 10_000 - (Date.now() - outageStarted)));
    await ctx.redis.start();
    await ctx.cluster.restartApi();
    const after = await feedLeads({ apiUrl: ctx.cluster.apiUrl, count: 8, perSecond: 4, runId: `${ctx.runId}-c` });
    const fed = [before, during, after];
    firstTry = fed.reduce((n, f) => n + f.accepted.size, 0) - fed.reduce((n, f) => n + f.retries, 0);
    process.stdout.write(`chaos intake-spool: ${during.accepted.size}/40 answered 202 during the outage, ${fed.reduce((n, f) => n + f.retries, 0)} client retries\n`);
    return {
      accepted: new Set(fed.flatMap((f) => [...f.accepted])),
      refused: fed.flatMap((f) => f.refused),
      unanswered: fed.reduce((n, f) => n + f.unanswered, 0),
      retries: fed.reduce((n, f) => n + f.retries, 0),
    };
  });
  expect(verdict).toEqual(expectedVerdict(verdict));
  expect(verdict.leads).toBe(56);
  // 100%: no submission needed a retry, none was refused.
  expect(firstTry).toBe(56);
});
