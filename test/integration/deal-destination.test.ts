import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { leadView } from '../helpers/delivery-probes';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

type View = { status: string; entity?: string; bitrixLeadId?: number; crm?: { dealId?: number; contactId?: number; commentId?: number }; history: Array<{ outcome: string }> };

const partner = generatePartnerKey();

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

async function callPortal(stack: Stack, method: string, params: unknown): Promise<number> {
  const res = await postJson(`${stack.sim.webhookUrl}${method}`, params);
  return Number(((await res.json()) as { result: number }).result);
}

const outerCalls = (stack: Stack) => stack.sim.calls().filter((c) => !c.viaBatch && c.method !== 'crm.settings.mode.get');

describe('#11 a destination with entity: deal', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('deal-destination', {
      sim: { dealCategories: [2] },
      destination: { entity: 'deal', deal: { categoryId: 2, stageId: 'C2:PREPARATION' } },
      overrides: {
        forms: {
          contact: { title: 'Website: {name}' },
          attach: { duplicates: { match: ['email'], action: 'attach' } },
          update: { duplicates: { match: ['email'], action: 'update' } },
        },
        sources: { partners: { acme: { keyHashes: [partner.hash] } } },
      },
    });
  });
  afterAll(async () => {
    await stack.stop();
  });
  beforeEach(() => stack.sim.reset());

  it('makes the contact and the deal in one batch (halt=1, CONTACT_IDS = $result[…]); the status shows both', async () => {
    const id = await submit(stack, 'contact', { name: 'Ann Lee', email: 'ann@example.com', phone: '+4930123456', company: 'Acme', message: 'Call me' });
    const view = await delivered(stack, id);
    const [deal] = stack.sim.crmRecords('deal');
    const [contact] = stack.sim.crmRecords('contact');
    expect(contact).toMatchObject({ NAME: 'Ann', LAST_NAME: 'Lee', ORIGINATOR_ID: 'leadgate', ORIGIN_ID: id });
    expect(contact!.EMAIL).toEqual([expect.objectContaining({ VALUE: 'ann@example.com' })]);
    expect(deal).toMatchObject({ CONTACT_ID: contact!.ID, ORIGINATOR_ID: 'leadgate', ORIGIN_ID: id, CATEGORY_ID: '2', STAGE_ID: 'C2:PREPARATION' });
    expect(String(deal!.TITLE)).toContain('Ann');
    expect(deal).not.toHaveProperty('NAME');
    // A lead field neither a contact nor a deal has is kept in the deal's comments, with its code.
    expect(String(deal!.COMMENTS)).toContain('COMPANY_TITLE: Acme');
    expect(view).toMatchObject({ status: 'delivered', entity: 'deal', crm: { dealId: Number(deal!.ID), contactId: Number(contact!.ID) } });
    expect(view.bitrixLeadId).toBeUndefined();
    expect(stack.sim.leads()).toEqual([]);
    // Both made by one batch request: no plain crm.contact.add / crm.deal.add ever goes out.
    const made = stack.sim.calls().filter((c) => c.method === 'crm.contact.add' || c.method === 'crm.deal.add');
    expect(made.map((c) => [c.method, c.viaBatch])).toEqual([['crm.contact.add', true], ['crm.deal.add', true]]);
    expect(outerCalls(stack).every((c) => c.method === 'batch')).toBe(true);

    // The console's lead page links both records in the portal, and no lead.
    const login = await fetch(`${stack.api.url}/admin/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: 'admin-secret' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const leadPage = await (await fetch(`${stack.api.url}/admin/leads/${id}`, { headers: { cookie } })).text();
    const host = new URL(stack.sim.webhookUrl).host;
    expect(leadPage).toContain(`<dd data-crm="deal"><a href="https://${host}/crm/deal/details/${deal!.ID}/"`);
    expect(leadPage).toContain(`<dd data-crm="contact"><a href="https://${host}/crm/contact/details/${contact!.ID}/"`);
    expect(leadPage).not.toContain('/crm/lead/details/');
  });

  it('a returning customer (duplicates: attach) gets only a deal, linked to their existing contact', async () => {
    const contact = await callPortal(stack, 'crm.contact.add', { fields: { NAME: 'Bob', EMAIL: [{ VALUE: 'bob@example.com', VALUE_TYPE: 'WORK' }] } });
    const before = outerCalls(stack).length;
    const id = await submit(stack, 'attach', { name: 'Bob Stone', email: 'bob@example.com' });
    const view = await delivered(stack, id);
    expect(stack.sim.crmRecords('contact')).toHaveLength(1);
    const [deal] = stack.sim.crmRecords('deal');
    expect(deal).toMatchObject({ CONTACT_ID: String(contact), IS_RETURN_CUSTOMER: 'Y', ORIGIN_ID: id });
    expect(view.crm).toEqual({ dealId: Number(deal!.ID), contactId: contact });
    // One batch of findbycomm (contacts, companies), then one batch holding only the deal.
    expect(outerCalls(stack).slice(before).map((c) => [c.method, c.commands])).toEqual([['batch', 2], ['batch', 1]]);
  });

  it('update: the submission is added as a comment to the person’s open deal instead of a new deal', async () => {
    const contact = await callPortal(stack, 'crm.contact.add', { fields: { NAME: 'Cy', EMAIL: [{ VALUE: 'cy@example.com', VALUE_TYPE: 'WORK' }] } });
    const open = await callPortal(stack, 'crm.deal.add', { fields: { TITLE: 'Earlier', CONTACT_IDS: [contact] } });
    const id = await submit(stack, 'update', { name: 'Cy Young', email: 'cy@example.com', message: 'One more question' });
    const view = await delivered(stack, id);
    expect(stack.sim.crmRecords('deal')).toHaveLength(1);
    const [comment] = stack.sim.timelineComments();
    expect(comment).toMatchObject({ ENTITY_TYPE: 'deal', ENTITY_ID: String(open) });
    expect(comment!.COMMENT).toContain(`[leadgate ${id}]`);
    expect(view).toMatchObject({ entity: 'deal', crm: { dealId: open, commentId: Number(comment!.ID) } });
  });

  it('update: a known person without an open deal gets a new deal linked to their contact', async () => {
    const contact = await callPortal(stack, 'crm.contact.add', { fields: { NAME: 'Di', EMAIL: [{ VALUE: 'di@example.com', VALUE_TYPE: 'WORK' }] } });
    await callPortal(stack, 'crm.deal.add', { fields: { TITLE: 'Won long ago', CONTACT_IDS: [contact], STAGE_ID: 'WON' } });
    const id = await submit(stack, 'update', { name: 'Di Ray', email: 'di@example.com' });
    const view = await delivered(stack, id);
    const deal = stack.sim.crmRecords('deal').find((d) => d.ORIGIN_ID === id)!;
    expect(deal.CONTACT_ID).toBe(String(contact));
    expect(stack.sim.crmRecords('contact')).toHaveLength(1);
    expect(view.crm).toMatchObject({ dealId: Number(deal.ID), contactId: contact });
  });

  it('the partner status shows the deal and the contact, and no lead id', async () => {
    const res = await postJson(`${stack.api.url}/v1/partners/leads`, { contact: { full_name: 'Eve Park', email: 'eve@example.com' } }, { authorization: `Bearer ${partner.key}` });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await delivered(stack, id);
    const status = (await (await fetch(`${stack.api.url}/v1/partners/leads/${id}`, { headers: { authorization: `Bearer ${partner.key}` } })).json()) as Record<string, unknown>;
    const [deal] = stack.sim.crmRecords('deal');
    expect(status).toMatchObject({ id, status: 'delivered', bitrix_deal_id: Number(deal!.ID), bitrix_contact_id: Number(deal!.CONTACT_ID) });
    expect(status).not.toHaveProperty('bitrix_lead_id');
  });

  it('under load the leads share batches of at most 25 contact+deal pairs, each deal linked to its own contact', async () => {
    stack.sim.setHold({ ms: 600, phase: 'before' });
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(stack, 'contact', { name: `P${i} Load`, email: `p${i}@example.com` })));
    stack.sim.setHold({ ms: 0, phase: 'before' });
    await Promise.all(ids.map((id) => delivered(stack, id)));
    const deals = stack.sim.crmRecords('deal');
    const contacts = new Map(stack.sim.crmRecords('contact').map((c) => [c.ID, c]));
    expect(deals).toHaveLength(30);
    for (const deal of deals) expect(contacts.get(deal.CONTACT_ID)!.ORIGIN_ID).toBe(deal.ORIGIN_ID);
    const batches = outerCalls(stack).filter((c) => c.method === 'batch');
    expect(Math.max(...batches.map((c) => c.commands ?? 0))).toBeLessThanOrEqual(50);
    expect(batches.length).toBeLessThan(30);
  });
});
