/**
 * Finding 4: a proxy, WAF or load balancer in front of the portal answers on its own (HTML 403,
 * code-less 404/413, 429 without a Bitrix body, 502/504 pages) between normal answers. None of these
 * is the lead's fault: no lead may be dead-lettered, duplicated or lost.
 */
import type { Bitrix24Fault } from '@leadgate/simulators';
import { sleep } from '../helpers/wait-for';
import { feedLeads } from './harness/lead-feeder';
import { runScenario } from './harness/scenario';
import { expectedVerdict } from './harness/verdict';

const LEADS = Number(process.env.CHAOS_LEADS ?? 200);

const PROXY_ANSWERS: Bitrix24Fault[] = [
  { kind: 'proxy', count: 1, status: 403, body: 'html' },
  { kind: 'proxy', count: 1, status: 404, body: 'empty' },
  { kind: 'proxy', count: 1, status: 413, body: 'empty' },
  { kind: 'proxy', count: 1, status: 429, body: 'empty', retryAfter: 1 },
  { kind: 'proxy', count: 1, status: 502, body: 'html' },
  { kind: 'proxy', count: 1, status: 504, body: 'html' },
  { kind: 'proxy', count: 1, status: 403, body: 'text' },
  { kind: 'proxy', count: 1, status: 404, body: 'html' },
];

it('proxy answers interleaved with normal traffic dead-letter nothing and duplicate nothing', async () => {
  const verdict = await runScenario({ name: 'proxy-errors', settleTimeoutMs: 120_000 }, async (ctx) => {
    let feeding = true;
    const faulting = (async () => {
      for (let i = 0; feeding; i++) {
        await sleep(1000);
        ctx.sim.injectFault(PROXY_ANSWERS[i % PROXY_ANSWERS.length] as Bitrix24Fault);
      }
    })();
    const fed = await feedLeads({ apiUrl: ctx.cluster.apiUrl, count: LEADS, perSecond: 20, runId: ctx.runId });
    feeding = false;
    await faulting;
    process.stdout.write(`chaos proxy-errors: ${ctx.sim.calls().filter((c) => c.fault === 'proxy').length} proxy answers\n`);
    return fed;
  });
  expect(verdict).toEqual(expectedVerdict(verdict));
});
