import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { callJson, type BatchResult } from './rest-client';

const contactCmd = (email: string) => `crm.contact.add?fields[NAME]=Ann&fields[EMAIL][0][VALUE]=${encodeURIComponent(email)}&fields[EMAIL][0][VALUE_TYPE]=WORK&fields[ORIGINATOR_ID]=lg&fields[ORIGIN_ID]=o1`;
const dealCmd = (contactRef: string) => `crm.deal.add?fields[TITLE]=Web&fields[CONTACT_IDS][0]=${contactRef}&fields[ORIGINATOR_ID]=lg&fields[ORIGIN_ID]=o1`;

describe('Bitrix24 simulator: deals and contacts (spam-ha-backfill.md §4)', () => {
  let sim: Bitrix24Simulator;
  beforeEach(async () => {
    sim = await startBitrix24Simulator({ dealCategories: [3] });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('crm.deal.get returns the stored deal with its contact; CONTACT_IDS is write-only', async () => {
    const contact = (await callJson<number>(sim.webhookUrl, 'crm.contact.add', { fields: { NAME: 'Ann' } })).body.result!;
    const deal = (await callJson<number>(sim.webhookUrl, 'crm.deal.add', { fields: { TITLE: 'Web', CONTACT_IDS: [contact], ORIGIN_ID: 'o1' } })).body.result!;
    const got = (await callJson<Record<string, unknown>>(sim.webhookUrl, 'crm.deal.get', { id: deal })).body.result!;
    expect(got).toMatchObject({ ID: String(deal), TITLE: 'Web', CONTACT_ID: String(contact), CATEGORY_ID: '0', STAGE_ID: 'NEW', STAGE_SEMANTIC_ID: 'P', ORIGIN_ID: 'o1' });
    expect(got).not.toHaveProperty('CONTACT_IDS');
    expect((await callJson<Record<string, unknown>>(sim.webhookUrl, 'crm.contact.get', { id: contact })).body.result).toMatchObject({ NAME: 'Ann' });
  });

  it('crm.deal.delete removes the deal: get answers Not found, list no longer has it, a second delete is refused', async () => {
    const deal = (await callJson<number>(sim.webhookUrl, 'crm.deal.add', { fields: { TITLE: 'Web', ORIGINATOR_ID: 'lg', ORIGIN_ID: 'o1' } })).body.result!;
    expect((await callJson(sim.webhookUrl, 'crm.deal.delete', { id: deal })).body.result).toBe(true);
    const get = await callJson(sim.webhookUrl, 'crm.deal.get', { id: deal });
    expect(get.status).toBe(400);
    expect(get.body).toMatchObject({ error: '', error_description: 'Not found' });
    expect((await callJson(sim.webhookUrl, 'crm.deal.list', { filter: { ORIGIN_ID: 'o1' } })).body.result).toEqual([]);
    expect((await callJson(sim.webhookUrl, 'crm.deal.delete', { id: deal })).status).toBe(400);
    expect((await callJson(sim.webhookUrl, 'crm.deal.delete', { id: 0 })).body.error_description).toBe('ID is not defined or invalid.');
    expect(sim.deletedCrmIds('deal')).toEqual([deal]);
  });

  it('a deal in pipeline n starts at C<n>:NEW; crm.status.list lists each pipeline under DEAL_STAGE_<n>', async () => {
    await callJson(sim.webhookUrl, 'crm.deal.add', { fields: { TITLE: 'P3', CATEGORY_ID: 3 } });
    await callJson(sim.webhookUrl, 'crm.deal.add', { fields: { TITLE: 'Won', STAGE_ID: 'WON' } });
    expect(sim.crmRecords('deal').map((d) => [d.CATEGORY_ID, d.STAGE_ID, d.STAGE_SEMANTIC_ID])).toEqual([['3', 'C3:NEW', 'P'], ['0', 'WON', 'S']]);
    const general = (await callJson<Array<{ STATUS_ID: string }>>(sim.webhookUrl, 'crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE' } })).body.result!;
    expect(general.map((s) => s.STATUS_ID)).toEqual(['NEW', 'PREPARATION', 'PREPAYMENT_INVOICE', 'EXECUTING', 'FINAL_INVOICE', 'WON', 'LOSE', 'APOLOGY']);
    const p3 = (await callJson<Array<{ STATUS_ID: string }>>(sim.webhookUrl, 'crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE_3' } })).body.result!;
    expect(p3[0]!.STATUS_ID).toBe('C3:NEW');
    expect((await callJson(sim.webhookUrl, 'crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE_7' } })).body.result).toEqual([]);
  });

  it('crm.deal.fields and crm.contact.fields describe each kind, custom fields in use included', async () => {
    await callJson(sim.webhookUrl, 'crm.deal.add', { fields: { TITLE: 'Web', UF_CRM_CONSENT: 'Y' } });
    const deal = (await callJson<Record<string, { type: string; isRequired: boolean }>>(sim.webhookUrl, 'crm.deal.fields')).body.result!;
    expect(deal).toMatchObject({ TITLE: { type: 'string' }, STAGE_ID: { type: 'crm_status' }, CATEGORY_ID: { type: 'crm_category' }, ORIGIN_ID: {}, UF_CRM_CONSENT: { type: 'string' } });
    expect(deal).not.toHaveProperty('NAME');
    const contact = (await callJson<Record<string, unknown>>(sim.webhookUrl, 'crm.contact.fields')).body.result!;
    expect(contact).toHaveProperty('EMAIL');
    expect(contact).not.toHaveProperty('STAGE_ID');
  });

  it('one batch with halt=1 creates the contact and its deal through $result[c]', async () => {
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', { halt: 1, cmd: { c: contactCmd('ann@example.com'), d: dealCmd('$result[c]') } });
    expect(res.body.result).toMatchObject({ result: { c: 1, d: 1 }, result_error: [] });
    expect(sim.crmRecords('deal')[0]).toMatchObject({ CONTACT_ID: '1', ORIGINATOR_ID: 'lg', ORIGIN_ID: 'o1' });
  });

  it('halt=1: a contact refused stops the batch, so no deal is made without its contact', async () => {
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', { halt: 1, cmd: { c: contactCmd('not an email'), d: dealCmd('$result[c]') } });
    const body = res.body.result as BatchResult;
    expect(res.status).toBe(200);
    expect(Object.keys(body.result_error)).toEqual(['c']);
    expect(body.result).toEqual([]);
    expect(sim.crmRecords('deal')).toEqual([]);
  });

  it('halt=0: the same failure leaves the reference unresolved and the deal is made without a contact', async () => {
    await callJson<BatchResult>(sim.webhookUrl, 'batch', { halt: 0, cmd: { c: contactCmd('not an email'), d: dealCmd('$result[c]') } });
    const [deal] = sim.crmRecords('deal');
    expect(deal).toBeDefined();
    expect(deal!.CONTACT_ID).toBeUndefined();
  });

  it('a slow commit of the batch: the deal has its ID but list and get see it only once committed', async () => {
    sim.injectFault({ kind: 'slow-commit', count: 1, commitAfterMs: 400, answerAfterMs: 0, method: 'batch' });
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', { halt: 1, cmd: { c: contactCmd('ann@example.com'), d: dealCmd('$result[c]') } });
    expect((res.body.result as BatchResult).result).toEqual({ c: 1, d: 1 });
    expect((await callJson(sim.webhookUrl, 'crm.deal.list', { filter: { ORIGIN_ID: 'o1' } })).body.result).toEqual([]);
    expect((await callJson(sim.webhookUrl, 'crm.deal.get', { id: 1 })).status).toBe(400);
    await new Promise((r) => setTimeout(r, 450));
    expect((await callJson<unknown[]>(sim.webhookUrl, 'crm.deal.list', { filter: { ORIGIN_ID: 'o1' } })).body.result).toHaveLength(1);
  });
});
