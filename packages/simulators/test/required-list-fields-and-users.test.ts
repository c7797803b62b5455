import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { Bitrix24SimulatorClient } from '../src/bitrix24/simulator-client';
import { callJson, lead, type BatchResult } from './rest-client';

type Fields = Record<string, Record<string, unknown>>;
type User = { ID: string; ACTIVE: boolean; NAME: string };

const BUDGET_ITEMS = [
  { ID: 44, VALUE: 'under 10k' },
  { ID: 45, VALUE: '10k-50k' },
];

describe('Bitrix24 simulator: required fields, list fields and users as a portal is set up', () => {
  let sim: Bitrix24Simulator;
  afterEach(async () => {
    await sim.close();
  });

  describe('required lead fields', () => {
    beforeEach(async () => {
      sim = await startBitrix24Simulator({ customFields: ['UF_CRM_CITY'], requiredFields: ['PHONE', 'UF_CRM_CITY'] });
    });

    it('crm.lead.fields marks them isRequired and leaves the others optional', async () => {
      const fields = (await callJson<Fields>(sim.webhookUrl, 'crm.lead.fields')).body.result!;
      expect(fields.PHONE!.isRequired).toBe(true);
      expect(fields.UF_CRM_CITY!.isRequired).toBe(true);
      expect(fields.NAME!.isRequired).toBe(false);
    });

    it('crm.lead.add without them answers 400 with an empty error naming each missing field, and stores nothing', async () => {
      const res = await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'Web', NAME: 'Ann', UF_CRM_CITY: '  ' }));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: '', error_description: 'Field "Phone" (PHONE) is required.\nField "UF_CRM_CITY" (UF_CRM_CITY) is required.' });
      expect(sim.leads()).toEqual([]);
      const ok = await callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'Web', PHONE: [{ VALUE: '+4930123', VALUE_TYPE: 'WORK' }], UF_CRM_CITY: 'Berlin' }));
      // The refused add used no ID.
      expect(ok.body.result).toBe(1);
    });

    it('a required field the portal fills itself (ASSIGNED_BY_ID) never refuses an add', async () => {
      sim.setRequiredFields(['ASSIGNED_BY_ID']);
      const res = await callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'Web' }));
      expect(res.status).toBe(200);
      expect(sim.leads()[0]!.fields.ASSIGNED_BY_ID).toBe('1');
    });

    it('a read-only or unknown field cannot be made required', () => {
      expect(() => sim.setRequiredFields(['DATE_CREATE'])).toThrow(/not a writable lead field/);
      expect(() => sim.setRequiredFields(['NOPE'])).toThrow(/not a writable lead field/);
    });
  });

  describe('list (enumeration) custom fields', () => {
    beforeEach(async () => {
      sim = await startBitrix24Simulator({ customFields: ['UF_CRM_NOTE'], listFields: { UF_CRM_BUDGET: BUDGET_ITEMS } });
    });

    it('crm.lead.fields describes them as enumeration with their items (IDs as strings)', async () => {
      const fields = (await callJson<Fields>(sim.webhookUrl, 'crm.lead.fields')).body.result!;
      expect(fields.UF_CRM_BUDGET).toMatchObject({
        type: 'enumeration',
        isDynamic: true,
        items: [{ ID: '44', VALUE: 'under 10k' }, { ID: '45', VALUE: '10k-50k' }],
      });
      expect(fields.UF_CRM_NOTE!.type).toBe('string');
    });

    it('crm.lead.add stores an item ID and silently stores nothing for a value outside the items', async () => {
      await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'by id', UF_CRM_BUDGET: 45 }));
      const byLabel = await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'by label', UF_CRM_BUDGET: '10k-50k' }));
      expect(byLabel.status).toBe(200);
      const [first, second] = sim.leads();
      expect(first!.fields.UF_CRM_BUDGET).toBe('45');
      expect(second!.fields.UF_CRM_BUDGET).toBeUndefined();
    });

    it('a required list field given only a value outside its items is missing', async () => {
      sim.setRequiredFields(['UF_CRM_BUDGET']);
      const res = await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'x', UF_CRM_BUDGET: 'lots' }));
      expect(res.status).toBe(400);
      expect(res.body.error_description).toBe('Field "UF_CRM_BUDGET" (UF_CRM_BUDGET) is required.');
    });
  });

  describe('users', () => {
    beforeEach(async () => {
      sim = await startBitrix24Simulator({
        users: [
          { ID: 1, NAME: 'Admin' },
          { ID: 7, NAME: 'Ann', LAST_NAME: 'Lee', EMAIL: 'ann@example.com' },
          { ID: 9, NAME: 'Bob', ACTIVE: false },
        ],
      });
    });

    it('user.get lists every user, dismissed ones with ACTIVE false, IDs as strings', async () => {
      const res = await callJson<User[]>(sim.webhookUrl, 'user.get');
      expect(res.body.result!.map((u) => [u.ID, u.ACTIVE, u.NAME])).toEqual([['1', true, 'Admin'], ['7', true, 'Ann'], ['9', false, 'Bob']]);
      expect(res.body.total).toBe(3);
    });

    it('user.get filters on ID given directly or in FILTER, and on ACTIVE; an unknown ID gives an empty list', async () => {
      expect((await callJson<User[]>(sim.webhookUrl, 'user.get', { ID: 7 })).body.result!.map((u) => u.ID)).toEqual(['7']);
      expect((await callJson<User[]>(sim.webhookUrl, 'user.get', { FILTER: { ID: 9 } })).body.result).toEqual([expect.objectContaining({ ID: '9', ACTIVE: false })]);
      expect((await callJson<User[]>(sim.webhookUrl, 'user.get', { FILTER: { ACTIVE: true } })).body.result!.map((u) => u.ID)).toEqual(['1', '7']);
      expect((await callJson<User[]>(sim.webhookUrl, 'user.get', { FILTER: { ID: 404 } })).body).toMatchObject({ result: [], total: 0 });
    });

    it('user.get needs the user scope', async () => {
      sim.setScopes(['crm']);
      const res = await callJson(sim.webhookUrl, 'user.get', { ID: 7 });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('insufficient_scope');
    });

    it('crm.lead.add stores ASSIGNED_BY_ID as given', async () => {
      await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'x', ASSIGNED_BY_ID: 7 }));
      expect(sim.leads()[0]!.fields.ASSIGNED_BY_ID).toBe('7');
    });
  });

  it('a webhook user without the right to add leads gets the code-less 400 "Access denied.", alone and inside a batch, while reads still answer', async () => {
    sim = await startBitrix24Simulator();
    const denied = await fetch(`${sim.url}/_sim/rights`, { method: 'POST', body: JSON.stringify({ leadAdd: false }) });
    expect(denied.status).toBe(200);
    const alone = await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'x' }));
    expect([alone.status, alone.body]).toEqual([400, { error: '', error_description: 'Access denied.' }]);
    const batch = await callJson<BatchResult>(sim.webhookUrl, 'batch', { halt: 0, cmd: { a: 'crm.lead.add?fields[TITLE]=y' } });
    expect(batch.body.result!.result_error).toEqual({ a: { error: '', error_description: 'Access denied.' } });
    expect((await callJson(sim.webhookUrl, 'crm.lead.fields')).status).toBe(200);
    expect(sim.leads()).toEqual([]);
    expect((await fetch(`${sim.url}/_sim/rights`, { method: 'POST', body: '{"leadAdd":"no"}' })).status).toBe(400);
    sim.setLeadAddAllowed(true);
    expect((await callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'z' }))).body.result).toBe(1);
  });

  it('the control API sets required fields, list fields and users; reset() keeps them; a bad body changes nothing', async () => {
    sim = await startBitrix24Simulator();
    const client = new Bitrix24SimulatorClient(sim.url);
    await client.setLeadFields({ required: ['UF_CRM_BUDGET'], lists: { UF_CRM_BUDGET: BUDGET_ITEMS } });
    await client.setUsers([{ ID: 3, NAME: 'Cy', ACTIVE: false }]);
    await client.reset();
    await expect(client.setLeadFields({ required: ['DATE_CREATE'] })).rejects.toThrow(/400 requiredFields: DATE_CREATE is not a writable lead field/);
    await expect(client.setLeadFields({ lists: { BUDGET: [] } })).rejects.toThrow(/400 listFields: BUDGET is not a custom field/);
    expect(await client.portalSetup()).toEqual({
      requiredFields: ['UF_CRM_BUDGET'],
      listFields: { UF_CRM_BUDGET: [{ ID: '44', VALUE: 'under 10k' }, { ID: '45', VALUE: '10k-50k' }] },
      users: [{ ID: '3', ACTIVE: false, NAME: 'Cy', LAST_NAME: '', EMAIL: '' }],
    });
    const res = await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'x' }));
    expect(res.body.error_description).toBe('Field "UF_CRM_BUDGET" (UF_CRM_BUDGET) is required.');
    expect((await callJson<User[]>(sim.webhookUrl, 'user.get', { ID: 3 })).body.result).toEqual([expect.objectContaining({ ID: '3', ACTIVE: false })]);
  });
});
