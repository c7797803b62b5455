import { runDestinationsCommand } from '../../src/cli/destinations';
import { startLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startBitrix24Simulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor, sleep } from '../helpers/wait-for';

let healthy: Bitrix24Simulator;
let failing: Bitrix24Simulator;
let stack: Stack;

beforeEach(async () => {
  healthy = await startBitrix24Simulator();
  failing = await startBitrix24Simulator();
  stack = await startStack('destination-breaker', {
    overrides: {
      acceptAnyForm: false,
      destinations: {
        main: { webhookUrl: healthy.webhookUrl, probeIntervalMs: 300 },
        agency: { webhookUrl: failing.webhookUrl, probeIntervalMs: 300 },
      },
      forms: { a: { destination: 'main' }, b: { destination: 'agency' } },
    },
  });
});

afterEach(async () => {
  await stack.stop();
  await healthy.close();
  await failing.close();
});

async function post(form: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const response = await postJson(`${stack.api.url}/v1/forms/${form}`, { email: `${form}${i}@example.com` });
    expect(response.status).toBe(202);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

const origins = (sim: Bitrix24Simulator): string[] => sim.leads().map((l) => String(l.fields.ORIGIN_ID)).sort();

async function readyz(): Promise<{ status: string; destinations: Record<string, { open: boolean; code?: string; reason?: string }> }> {
  return (await (await fetch(`${stack.api.url}/readyz`)).json()) as never;
}

describe('a destination whose credentials fail', () => {
  it('pauses with its leads kept while the healthy portal keeps delivering, and resumes on its own once fixed', async () => {
    failing.setWebhookCode('rotated-by-admin');
    const stuck = await post('b', 5);
    await waitFor(async () => (await readyz()).destinations.agency?.open, 'agency paused', 10_000);

    const flowing = await post('a', 20);
    await waitFor(() => origins(healthy).length === 20, 'healthy portal delivers', 10_000);
    expect(origins(healthy)).toEqual([...flowing].sort());

    const ready = await readyz();
    expect(ready.status).toBe('degraded');
    expect(ready.destinations.main).toEqual({ open: false });
    expect(ready.destinations.agency).toMatchObject({ open: true, code: 'INVALID_CREDENTIALS', reason: expect.stringContaining('webhook') });
    expect(await (await fetch(`${stack.api.url}/metrics`)).text()).toMatch(/leadgate_destination_paused\{destination="agency"\} 1/);
    const status = (await (await fetch(`${stack.api.url}/v1/leads/${stuck[0]}`, { headers: { authorization: 'Bearer admin-secret' } })).json()) as { status: string };
    expect(['queued', 'retrying']).toContain(status.status);
    expect(failing.leads()).toHaveLength(0);

    // The portal admin restores the webhook: a probe notices and the kept leads go through, once each.
    failing.setWebhookCode('leadgatesim');
    await waitFor(() => origins(failing).length === 5, 'kept leads delivered after the fix', 15_000);
    await sleep(300);
    expect(origins(failing)).toEqual([...stuck].sort());
    expect((await readyz()).destinations.agency).toEqual({ open: false });
  });

  it('can be resumed by an operator with `leadgate destinations resume`', async () => {
    failing.setWebhookCode('rotated-by-admin');
    const stuck = await post('b', 2);
    await waitFor(async () => (await readyz()).destinations.agency?.open, 'agency paused', 10_000);
    // A probe can't succeed while the code is wrong; the operator fixes it and resumes without waiting for a probe.
    await stack.api.workers!.close(1000);
    failing.setWebhookCode('leadgatesim');
    const lines: string[] = [];
    await runDestinationsCommand(stack.config, { action: 'list' }, (l) => lines.push(l));
    expect(JSON.parse(lines[1]!)).toMatchObject({ destination: 'agency', open: true, code: 'INVALID_CREDENTIALS' });
    await runDestinationsCommand(stack.config, { action: 'resume', name: 'agency' }, (l) => lines.push(l));
    expect(lines.at(-1)).toBe('resumed agency');
    expect((await readyz()).destinations.agency).toEqual({ open: false });
    await stack.api.stop();
    stack.api = await startLeadgate({ config: stack.config, role: 'all', logger: silentLogger });
    await waitFor(() => origins(failing).length === 2, 'delivered after resume', 10_000);
    expect(origins(failing)).toEqual([...stuck].sort());
  });
});
