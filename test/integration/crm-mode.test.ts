import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
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

describe('#15 the CRM mode read of a worker starting against a full bucket', () => {
  let stack: Stack | undefined;
  let worker: RunningLeadgate | undefined;
  afterAll(async () => {
    await worker?.stop();
    await stack?.stop();
  });

  it('is refused once (as the first request, before any batch), waits for spare budget, and the leads created meanwhile are looked up 50 at a time', async () => {
    // Other apps keep the bucket full until leadgate's first request is refused, then stop (a slow
    // worker start must not find it drained).
    let sim: Stack['sim'] | undefined;
    const onCall = (call: { status: number }): void => {
      if (call.status === 503) sim?.setBucketLoad({ otherAppsPerSecond: 0 });
    };
    const s = (stack = await startStack('crm-mode-busy', { role: 'api', sim: { crmMode: 'simple', onCall } }));
    sim = s.sim;
    const ids = await submitLeads(s.api.url, 60, 'modebusy');
    s.sim.setBucketLoad({ level: 'full', otherAppsPerSecond: 20 });
    worker = await startLeadgate({ config: s.config, role: 'worker', logger: silentLogger });
    const views = await waitFor(async () => {
      const all = await Promise.all(ids.map(async (id) => (await leadView(s.api.url, id)) as CrmView));
      return all.every((v) => v.crm?.dealId !== undefined) ? all : undefined;
    }, 'every deal recorded', 45_000, 200);
    expect(views.every((v) => v.status === 'delivered')).toBe(true);
    const calls = s.sim.calls().filter((c) => !c.viaBatch);
    // The mode read went first and was the one refusal; its repeat came after every lead was in.
    expect(calls[0]).toMatchObject({ method: 'crm.settings.mode.get', status: 503 });
    expect(calls.filter((c) => c.status === 503)).toHaveLength(1);
    const modeReads = calls.filter((c) => c.method === 'crm.settings.mode.get');
    expect(modeReads.map((c) => c.status)).toEqual([503, 200]);
    const lastAdd = Math.max(...calls.filter((c) => c.method === 'batch' || c.method === 'crm.lead.add').map((c) => c.at));
    expect(modeReads[1]!.at).toBeGreaterThan(lastAdd);
    // 60 leads created before the mode was known: two lookups of up to 50, not one per lead.
    expect(calls.filter((c) => c.method === 'crm.deal.list')).toHaveLength(2);
  }, 60_000);
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
