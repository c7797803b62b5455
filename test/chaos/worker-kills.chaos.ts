/**
 * Finding 1: workers SIGKILLed while leads flow (at random, right after the portal answered a
 * lead-creating request, while a request is in flight) must neither duplicate nor lose a lead.
 */
import { feedLeads } from './harness/lead-feeder';
import { killWorkersUntil, seededRandom } from './harness/killer';
import { runScenario } from './harness/scenario';
import { expectedVerdict } from './harness/verdict';

const LEADS = Number(process.env.CHAOS_LEADS ?? 300);

it('workers SIGKILLed every 2–3 s while leads flow: every accepted lead exists exactly once', async () => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const random = seededRandom(seed);
  process.stdout.write(`chaos worker-kills: seed ${seed}\n`);
  const verdict = await runScenario({ name: 'worker-kills' }, async (ctx) => {
    // ~300 ms per request on a standard plan: kills land while requests are in flight, and after answers.
    ctx.sim.setHold({ ms: 300, phase: 'after' });
    let feeding = true;
    const killing = killWorkersUntil(ctx, () => !feeding, random);
    const fed = await feedLeads({ apiUrl: ctx.cluster.apiUrl, count: LEADS, perSecond: 20, runId: ctx.runId });
    feeding = false;
    const kills = await killing;
    process.stdout.write(`chaos worker-kills: kills by moment ${JSON.stringify(kills)}\n`);
    return fed;
  });
  expect(verdict).toEqual(expectedVerdict(verdict));
});
