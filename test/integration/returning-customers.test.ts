import { leadView } from '../helpers/delivery-probes';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

type View = { status: string; bitrixLeadId?: number; crm?: { commentId?: number } };

async function submit(stack: Stack, form: string, body: Record<string, string>): Promise<string> {
  const response = await postJson(`${stack.api.url}/v1/forms/${form}`, body);
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function delivered(stack: Stack, id: string): Promise<View> {
  return (await waitFor(async () => {
    const v = await leadView(stack.api.url, id);
    return v.status === 'delivered' ? v : undefined;
  }, `lead ${id} delivered`, 15_000, 100)) as View;
}

/** The person as an earlier lead or contact holds them, created straight in the portal. */
async function callPortal(stack: Stack, method: string, params: unknown): Promise<number> {
  const res = await postJson(`${stack.sim.webhookUrl}${method}`, params);
  return Number(((await res.json()) as { result: number }).result);
}

describe('#11 returning customers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('returning', {
      overrides: {
        forms: {
          attach: { duplicates: { match: ['email', 'phone'], action: 'attach' } },
          update: { duplicates: { match: ['email'], action: 'update' } },
          plain: {},
        },
      },
    });
  });
  afterAll(async () => {
    await stack.stop();
  });
  beforeEach(() => stack.sim.reset());

  it('attach: a returning customer’s new lead is linked to their contact and company (IS_RETURN_CUSTOMER=Y)', async () => {
    const contact = await callPortal(stack, 'crm.contact.add', { fields: { NAME: 'Ann', EMAIL: [{ VALUE: 'ann@example.com', VALUE_TYPE: 'WORK' }] } });
    const company = await callPortal(stack, 'crm.company.add', { fields: { TITLE: 'Acme', PHONE: [{ VALUE: '+4930123456', VALUE_TYPE: 'WORK' }] } });
    const id = await submit(stack, 'attach', { name: 'Ann Lee', email: 'ann@example.com', phone: '+4930123456' });
    const view = await delivered(stack, id);
    const lead = stack.sim.leads().find((l) => l.ID === view.bitrixLeadId)!;
    expect(lead.fields).toMatchObject({ CONTACT_ID: String(contact), COMPANY_ID: String(company), IS_RETURN_CUSTOMER: 'Y' });
    // One request found both: a batch of findbycomm commands, one per (type, entity type).
    const outer = stack.sim.calls().filter((c) => !c.viaBatch && (c.method === 'batch' || c.method === 'crm.duplicate.findbycomm'));
    expect(outer.map((c) => c.method)).toEqual(['batch']);
  });

  it('attach: a stranger gets a plain new lead', async () => {
    const id = await submit(stack, 'attach', { name: 'New Person', email: 'new@example.com' });
    const view = await delivered(stack, id);
    expect(stack.sim.leads().find((l) => l.ID === view.bitrixLeadId)!.fields).toMatchObject({ CONTACT_ID: null, IS_RETURN_CUSTOMER: 'N' });
  });

  it('update: the submission is added to the person’s open lead as a timeline comment instead of a new lead', async () => {
    const open = await callPortal(stack, 'crm.lead.add', { fields: { TITLE: 'First visit', EMAIL: [{ VALUE: 'bob@example.com', VALUE_TYPE: 'WORK' }] } });
    const id = await submit(stack, 'update', { name: 'Bob Roe', email: 'bob@example.com', message: 'call me back' });
    const view = await delivered(stack, id);
    expect(view.bitrixLeadId).toBe(open);
    expect(stack.sim.leads()).toHaveLength(1);
    const comments = stack.sim.timelineComments();
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ ENTITY_TYPE: 'lead', ENTITY_ID: String(open) });
    expect(comments[0]!.COMMENT).toContain(`[leadgate ${id}]`);
    expect(view.crm).toEqual({ commentId: Number(comments[0]!.ID) });
  });

  it('update: an ambiguous timeout on the comment is followed by a look for its marker, so the comment is added once', async () => {
    const open = await callPortal(stack, 'crm.lead.add', { fields: { TITLE: 'First visit', EMAIL: [{ VALUE: 'cy@example.com', VALUE_TYPE: 'WORK' }] } });
    // The comment commits, the answer is lost: the next attempt must find it rather than add another.
    stack.sim.injectFault({ kind: 'drop-after-commit', count: 1, method: 'crm.timeline.comment.add' });
    const id = await submit(stack, 'update', { name: 'Cy', email: 'cy@example.com' });
    const view = await delivered(stack, id);
    expect(view.bitrixLeadId).toBe(open);
    expect(stack.sim.timelineComments()).toHaveLength(1);
    expect(stack.sim.calls().some((c) => c.method === 'crm.timeline.comment.list')).toBe(true);
  });

  it('update: with no open lead of that person a new lead is created', async () => {
    const id = await submit(stack, 'update', { name: 'Dee', email: 'dee@example.com' });
    const view = await delivered(stack, id);
    expect(stack.sim.leads().map((l) => l.ID)).toEqual([view.bitrixLeadId]);
    expect(stack.sim.timelineComments()).toHaveLength(0);
  });

  it('create (no setting): no lookup at all', async () => {
    const id = await submit(stack, 'plain', { name: 'Eve', email: 'eve@example.com' });
    await delivered(stack, id);
    expect(stack.sim.calls().some((c) => c.method.startsWith('crm.duplicate'))).toBe(false);
  });
});
