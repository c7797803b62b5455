import { copiesOf, leadView, metricSum, metricsOf, submitLeads } from '../helpers/delivery-probes';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('late-commit', {
    destination: { timeoutMs: 1000 },
    overrides: { delivery: { duplicateCheckDelayMs: 3000 } },
  });
});

afterAll(async () => {
  await stack.stop();
});

describe('#2 a portal that commits a lead after leadgate gave up on the request', () => {
  it('a lead committed after the client gave up is found later and the later copy deleted, keeping the first', async () => {
    // The first add takes its ID at once but commits (becomes visible) only at 3 s; the client gives up
    // at 1 s, its lookup finds nothing and a second lead is created.
    stack.sim.injectFault({ kind: 'slow-commit', count: 1, commitAfterMs: 3000, method: 'crm.lead.add' });
    const [id] = await submitLeads(stack.api.url, 1, 'late');

    const origin = await waitFor(() => stack.sim.origins().find((o) => o.originId === id && o.deleted.length > 0), 'the later copy deleted', 20_000, 100);
    expect(origin.live).toHaveLength(1);
    expect(origin.deleted).toHaveLength(1);
    // The first lead created (the smaller ID) is the one kept: it is the one a person may already see.
    expect(origin.live[0]).toBeLessThan(origin.deleted[0]!);
    expect(copiesOf(stack.sim, id!)).toBe(1);

    const view = await leadView(stack.api.url, id!);
    expect(view).toMatchObject({ status: 'delivered', bitrixLeadId: origin.live[0] });
    expect(view.history.map((a) => a.outcome)).toEqual(['retry', 'delivered', 'duplicates_removed']);
    expect(metricSum(await metricsOf(stack.api.url), 'leadgate_duplicates_removed_total', { destination: 'main' })).toBe(1);
    expect(stack.sim.calls().filter((c) => c.method === 'crm.lead.delete')).toHaveLength(1);
  });
});
