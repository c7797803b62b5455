/**
 * Finding 2: the portal commits a request 5 s after it arrived while leadgate gives up after 1 s.
 * The retry's lookup finds nothing and creates a second lead; leadgate must find the later copy by
 * ORIGIN_ID and delete it (delivery.duplicateCheckDelayMs after the ambiguous attempt).
 */
import { Bitrix24SimulatorClient } from '@leadgate/simulators';
import { sleep } from '../helpers/wait-for';
import { feedLeads } from './harness/lead-feeder';
import { runScenario } from './harness/scenario';
import { expectedVerdict } from './harness/verdict';

const LEADS = Number(process.env.CHAOS_LEADS ?? 200);
const COMMIT_AFTER_MS = 5000;
/** Must exceed COMMIT_AFTER_MS: the check has to run after the late commit. */
const DUPLICATE_CHECK_DELAY_MS = Number(process.env.CHAOS_DUPLICATE_CHECK_DELAY_MS ?? 8000);

it('a portal committing after the client timeout leaves no duplicate once leadgate has checked', async () => {
  const verdict = await runScenario(
    { name: 'slow-commits', delivery: { duplicateCheckDelayMs: DUPLICATE_CHECK_DELAY_MS }, destination: { timeoutMs: 1000 }, settleTimeoutMs: 120_000 },
    async (ctx) => {
      const control = new Bitrix24SimulatorClient(ctx.sim.url);
      let feeding = true;
      const faulting = (async () => {
        while (feeding) {
          await sleep(1500);
          // One pending slow commit at a time, so normal requests flow in between; aimed at the
          // method leadgate last created leads with (batch, or crm.lead.add for a lone lead).
          if ((await control.faults()).some((f) => f.kind === 'slow-commit')) continue;
          const method = ctx.sim.calls().filter((c) => !c.viaBatch && (c.method === 'batch' || c.method === 'crm.lead.add')).at(-1)?.method ?? 'batch';
          await control.injectFault({ kind: 'slow-commit', count: 1, commitAfterMs: COMMIT_AFTER_MS, method });
        }
      })();
      const fed = await feedLeads({ apiUrl: ctx.cluster.apiUrl, count: LEADS, perSecond: 15, runId: ctx.runId });
      feeding = false;
      await faulting;
      const slow = ctx.sim.calls().filter((c) => c.fault === 'slow-commit').length;
      process.stdout.write(`chaos slow-commits: ${slow} requests committed ${COMMIT_AFTER_MS} ms late\n`);
      return fed;
    },
  );
  expect(verdict).toEqual(expectedVerdict(verdict));
});
