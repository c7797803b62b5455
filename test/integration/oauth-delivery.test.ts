import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor, sleep } from '../helpers/wait-for';

const APP = { clientId: 'local.leadgate.test', clientSecret: 'sim-secret' };

let stack: Stack;
let secondWorker: RunningLeadgate | undefined;

beforeEach(async () => {
  stack = await startStack('oauth-delivery', {
    sim: { oauth: APP },
    destinationFromSim: (sim) => ({
      oauth: { ...APP, ...sim.issueOAuthTokens(), clientEndpoint: sim.clientEndpoint, tokenUrl: sim.tokenUrl },
      probeIntervalMs: 300,
    }),
  });
});

afterEach(async () => {
  await secondWorker?.stop();
  secondWorker = undefined;
  await stack.stop();
});

async function post(n: number, from = 0): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const response = await postJson(`${stack.api.url}/v1/forms/contact`, { email: `oauth${from + i}@example.com` });
      return ((await response.json()) as { id: string }).id;
    }),
  );
}

const origins = (): string[] => stack.sim.leads().map((l) => String(l.fields.ORIGIN_ID)).sort();

describe('a destination connected as an OAuth application', () => {
  it('refreshes a token that expires mid-run once for all workers, and delivery continues', async () => {
    secondWorker = await startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger });
    const first = await post(10);
    await waitFor(() => origins().length === 10, 'first leads', 10_000);
    stack.sim.expireAccessTokens();
    const second = await post(30, 10);
    await waitFor(() => origins().length === 40, 'leads after expiry', 15_000);
    await sleep(200);
    expect(origins()).toEqual([...first, ...second].sort());
    expect(stack.sim.stats().tokenRefreshes).toBe(1);
  });

  it('pauses the destination with a clear reason when the refresh is rejected (invalid_grant), keeping the leads', async () => {
    stack.sim.revokeRefreshTokens();
    stack.sim.expireAccessTokens();
    const ids = await post(3);
    const ready = await waitFor(async () => {
      const body = (await (await fetch(`${stack.api.url}/readyz`)).json()) as { destinations: Record<string, { open: boolean; code?: string; reason?: string }> };
      return body.destinations.main?.open ? body.destinations.main : undefined;
    }, 'destination paused', 10_000);
    expect(ready.reason).toMatch(/invalid_grant/);
    expect(stack.sim.leads()).toHaveLength(0);
    for (const id of ids) {
      const record = (await (await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } })).json()) as { status: string };
      expect(record.status).not.toBe('dead');
    }
  });
});
