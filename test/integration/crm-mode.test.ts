import { leadView, submitLeads } from '../helpers/delivery-probes';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

type CrmView = { status: string; bitrixLeadId?: number; crm?: { dealId?: number; contactId?: number; companyId?: number } };

describe('#11 a portal in simple CRM mode', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('crm-simple', { sim: { crmMode: 'simple' } });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('the lead is converted at once, and its status shows the deal and the contact it became', async () => {
    const [id] = await submitLeads(stack.api.url, 1, 'simple');
    const view = await waitFor(async () => {
      const v = (await leadView(stack.api.url, id!)) as CrmView;
      return v.crm?.dealId !== undefined ? v : undefined;
    }, 'the deal recorded', 15_000, 100);
    const [deal] = stack.sim.crmRecords('deal');
    const [contact] = stack.sim.crmRecords('contact');
    expect(view).toMatchObject({ status: 'delivered', crm: { dealId: Number(deal!.ID), contactId: Number(contact!.ID) } });
    expect(deal!.LEAD_ID).toBe(String(view.bitrixLeadId));
    expect(stack.sim.leads()[0]!.fields.STATUS_ID).toBe('CONVERTED');
    // The mode is read once per worker start; the conversion costs one crm.deal.list per lead.
    const methods = stack.sim.calls().map((c) => c.method);
    expect(methods.filter((m) => m === 'crm.settings.mode.get')).toHaveLength(1);
    expect(methods.filter((m) => m === 'crm.deal.list')).toHaveLength(1);
  });
});

describe('#11 a portal in classic CRM mode', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('crm-classic');
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('the lead stays a lead: no deal lookup, no crm block in the status', async () => {
    const [id] = await submitLeads(stack.api.url, 1, 'classic');
    const view = (await waitFor(async () => {
      const v = await leadView(stack.api.url, id!);
      return v.status === 'delivered' ? v : undefined;
    }, 'delivered', 15_000, 100)) as CrmView;
    expect(view.crm).toBeUndefined();
    expect(stack.sim.calls().some((c) => c.method === 'crm.deal.list')).toBe(false);
  });
});
