/**
 * Finding 6: SIGTERM while the portal holds a request longer than delivery.shutdownTimeoutMs. The
 * worker must abort the request and exit within the limit (plus a margin for process teardown on a
 * loaded machine), and the lead, committed by the portal, must still exist exactly once.
 */
import { sleep, waitFor } from '../helpers/wait-for';
import { feedLeads } from './harness/lead-feeder';
import { runScenario } from './harness/scenario';
import { expectedVerdict } from './harness/verdict';

const SHUTDOWN_TIMEOUT_MS = 3000;
const HOLD_MS = 10_000;
/** Exit after the forced stop: closing Redis connections and the process itself. */
const EXIT_MARGIN_MS = 2000;

it('a worker told to stop while the portal holds its request exits by shutdownTimeoutMs, and the lead exists once', async () => {
  let exits: Array<{ ms: number; code: number | null }> = [];
  const verdict = await runScenario({ name: 'held-request-shutdown', delivery: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS } }, async (ctx) => {
    // Committed at once, answered after HOLD_MS: the worker cannot know the lead exists.
    ctx.sim.setHold({ ms: HOLD_MS, phase: 'after' });
    const fed = await feedLeads({ apiUrl: ctx.cluster.apiUrl, count: 20, perSecond: 50, runId: ctx.runId });
    await waitFor(() => ctx.sim.stats().inFlight > 0, 'a request held by the portal', 30_000);
    await sleep(300);
    exits = await ctx.cluster.terminateWorkers();
    ctx.sim.setHold({ ms: 0, phase: 'after' });
    process.stdout.write(`chaos held-request-shutdown: workers exited after ${exits.map((e) => `${e.ms} ms (code ${e.code})`).join(', ')}\n`);
    return fed;
  });
  expect(verdict).toEqual(expectedVerdict(verdict));
  for (const exit of exits) expect(exit.ms).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
});
