import { startLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { leadView, metricSum, metricsOf, submitLeads, takeJobAndDie } from '../helpers/delivery-probes';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

type View = { status: string; entity?: string; crm?: { dealId?: number; contactId?: number }; history: Array<{ outcome: string }> };

let stack: Stack;

afterEach(async () => {
  await stack.stop();
});

const dealsOf = (id: string) => stack.sim.crmRecords('deal').filter((d) => d.ORIGIN_ID === id);
const contactsOf = (id: string) => stack.sim.crmRecords('contact').filter((c) => c.ORIGIN_ID === id);

describe('#11 a deal destination whose portal commits the batch after leadgate gave up on it', () => {
  it('the later deal is deleted with the contact made for it, keeping the first pair', async () => {
    stack = await startStack('deal-late-commit', {
      destination: { entity: 'deal', timeoutMs: 1000 },
      overrides: { delivery: { duplicateCheckDelayMs: 3000 } },
    });
    // The first batch takes its IDs at once but commits only at 3 s; the client gives up at 1 s, its
    // look-up finds nothing and a second contact+deal is made.
    stack.sim.injectFault({ kind: 'slow-commit', count: 1, commitAfterMs: 3000, method: 'batch' });
    const [id] = await submitLeads(stack.api.url, 1, 'late-deal');

    await waitFor(() => stack.sim.deletedCrmIds('deal').length > 0, 'the later deal deleted', 20_000, 100);
    const [deal] = dealsOf(id!);
    expect(dealsOf(id!)).toHaveLength(1);
    expect(contactsOf(id!)).toHaveLength(1);
    // The first deal created (the smaller ID) is kept, with its own contact.
    expect(Number(deal!.ID)).toBeLessThan(stack.sim.deletedCrmIds('deal')[0]!);
    expect(deal!.CONTACT_ID).toBe(contactsOf(id!)[0]!.ID);
    expect(stack.sim.deletedCrmIds('contact')).toHaveLength(1);

    const view = (await leadView(stack.api.url, id!)) as unknown as View;
    expect(view).toMatchObject({ status: 'delivered', entity: 'deal', crm: { dealId: Number(deal!.ID), contactId: Number(deal!.CONTACT_ID) } });
    expect(view.history.map((a) => a.outcome)).toEqual(['retry', 'delivered', 'duplicates_removed']);
    expect(metricSum(await metricsOf(stack.api.url), 'leadgate_duplicates_removed_total', { destination: 'main' })).toBe(1);
  });
});

describe('#11 a deal destination taking over a lead whose earlier attempt stopped half-way', () => {
  it('reuses the contact the dead worker made (found by ORIGIN_ID) and adds only the deal', async () => {
    stack = await startStack('deal-half-done', { role: 'api', destination: { entity: 'deal' }, overrides: { delivery: { lockDurationMs: 1000 } } });
    const [id] = await submitLeads(stack.api.url, 1, 'half');
    // The dead worker's batch made the contact; the portal failed before the deal.
    await takeJobAndDie(stack);
    const made = await postJson(`${stack.sim.webhookUrl}crm.contact.add`, { fields: { NAME: 'Lead', ORIGINATOR_ID: 'leadgate', ORIGIN_ID: id } });
    const contactId = ((await made.json()) as { result: number }).result;

    await stack.api.stop();
    stack.api = await startLeadgate({ config: stack.config, role: 'all', logger: silentLogger });
    const view = (await waitFor(async () => {
      const v = await leadView(stack.api.url, id!);
      return v.status === 'delivered' ? v : undefined;
    }, 'the taken-over lead delivered', 15_000, 100)) as unknown as View;
    await sleep(300);
    expect(contactsOf(id!)).toHaveLength(1);
    expect(dealsOf(id!)).toEqual([expect.objectContaining({ CONTACT_ID: String(contactId) })]);
    expect(view.crm).toMatchObject({ contactId });
  });
});
