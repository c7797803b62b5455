import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { callJson, type BatchResult } from './rest-client';

const person = { NAME: 'Ann', LAST_NAME: 'Lee', EMAIL: [{ VALUE: 'ann@example.com', VALUE_TYPE: 'WORK' }], PHONE: [{ VALUE: '+4930123', VALUE_TYPE: 'WORK' }] };

describe('Bitrix24 simulator: CRM mode, deals, contacts, duplicates and timeline comments', () => {
  let sim: Bitrix24Simulator;
  afterEach(async () => {
    await sim.close();
  });

  describe('a classic portal', () => {
    beforeEach(async () => {
      sim = await startBitrix24Simulator();
    });

    it('answers crm.settings.mode.get with 1 and keeps a new lead as a lead', async () => {
      expect((await callJson(sim.webhookUrl, 'crm.settings.mode.get')).body.result).toBe(1);
      const id = (await callJson<number>(sim.webhookUrl, 'crm.lead.add', { fields: { TITLE: 'Web', ...person } })).body.result;
      expect(sim.leads()[0]!.fields).toMatchObject({ ID: String(id), STATUS_ID: 'NEW', CONTACT_ID: null });
      expect(sim.crmRecords('deal')).toEqual([]);
    });

    it('a lead added with CONTACT_ID is a returning customer (IS_RETURN_CUSTOMER=Y)', async () => {
      const contact = (await callJson<number>(sim.webhookUrl, 'crm.contact.add', { fields: person })).body.result;
      await callJson(sim.webhookUrl, 'crm.lead.add', { fields: { TITLE: 'Again', CONTACT_ID: contact } });
      expect(sim.leads()[0]!.fields).toMatchObject({ CONTACT_ID: String(contact), IS_RETURN_CUSTOMER: 'Y' });
    });

    it('crm.contact.add and crm.deal.add store records crm.*.list filters on, ORIGIN_ID included', async () => {
      const contact = (await callJson<number>(sim.webhookUrl, 'crm.contact.add', { fields: { ...person, ORIGINATOR_ID: 'lg', ORIGIN_ID: 'x1' } })).body.result;
      const deal = (await callJson<number>(sim.webhookUrl, 'crm.deal.add', { fields: { TITLE: 'Deal', CONTACT_IDS: [contact], ORIGINATOR_ID: 'lg', ORIGIN_ID: 'x1' } })).body.result;
      const list = await callJson<Array<Record<string, unknown>>>(sim.webhookUrl, 'crm.deal.list', {
        filter: { ORIGINATOR_ID: 'lg', '@ORIGIN_ID': ['x1', 'x2'] },
        select: ['ID', 'CONTACT_ID', 'ORIGIN_ID'],
      });
      expect(list.body.result).toEqual([{ ID: String(deal), CONTACT_ID: String(contact), ORIGIN_ID: 'x1' }]);
      expect(list.body.total).toBe(1);
      const contacts = await callJson<Array<Record<string, unknown>>>(sim.webhookUrl, 'crm.contact.list', { filter: { ORIGIN_ID: 'x1' }, select: ['ID', 'EMAIL'] });
      expect(contacts.body.result).toEqual([{ ID: String(contact), EMAIL: [expect.objectContaining({ VALUE: 'ann@example.com', TYPE_ID: 'EMAIL' })] }]);
    });

    it('a batch creates a contact and a deal linked through $result[...]', async () => {
      const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', {
        halt: 1,
        cmd: { c: 'crm.contact.add?fields[NAME]=Ann', d: 'crm.deal.add?fields[TITLE]=Web&fields[CONTACT_IDS][0]=$result[c]' },
      });
      expect((res.body.result as BatchResult).result).toEqual({ c: 1, d: 1 });
      expect(sim.crmRecords('deal')[0]).toMatchObject({ CONTACT_ID: '1', IS_RETURN_CUSTOMER: 'Y' });
    });

    it('crm.duplicate.findbycomm finds leads, contacts and companies by e-mail or phone; nothing found is []', async () => {
      await callJson(sim.webhookUrl, 'crm.lead.add', { fields: { TITLE: 'L', ...person } });
      await callJson(sim.webhookUrl, 'crm.contact.add', { fields: person });
      const byEmail = await callJson(sim.webhookUrl, 'crm.duplicate.findbycomm', { type: 'EMAIL', values: ['ANN@example.com'] });
      expect(byEmail.body.result).toEqual({ LEAD: [1], CONTACT: [1] });
      const contactsOnly = await callJson(sim.webhookUrl, 'crm.duplicate.findbycomm', { type: 'PHONE', values: ['+4930123'], entity_type: 'CONTACT' });
      expect(contactsOnly.body.result).toEqual({ CONTACT: [1] });
      // Phones are format-sensitive, as on a real portal.
      const other = await callJson(sim.webhookUrl, 'crm.duplicate.findbycomm', { type: 'PHONE', values: ['4930123'] });
      expect(other.body.result).toEqual([]);
    });

    it('crm.duplicate.findbycomm takes at most 20 values and answers at most 20 matches of a type', async () => {
      const many = Array.from({ length: 21 }, (_, i) => `p${i}@example.com`);
      const refused = await callJson(sim.webhookUrl, 'crm.duplicate.findbycomm', { type: 'EMAIL', values: many });
      expect(refused.status).toBe(400);
      const missingType = await callJson(sim.webhookUrl, 'crm.duplicate.findbycomm', { values: ['a@b.co'] });
      expect(missingType.body).toMatchObject({ error: 'Communication type is not defined' });
      for (let i = 0; i < 21; i++) await callJson(sim.webhookUrl, 'crm.lead.add', { fields: { TITLE: `L${i}`, EMAIL: person.EMAIL } });
      await callJson(sim.webhookUrl, 'crm.contact.add', { fields: person });
      const capped = await callJson<Record<string, number[]>>(sim.webhookUrl, 'crm.duplicate.findbycomm', { type: 'EMAIL', values: ['ann@example.com'] });
      // A type that reaches 20 crowds the others out; asking per entity type finds the contact.
      expect(Object.keys(capped.body.result!)).toEqual(['LEAD']);
      expect(capped.body.result!.LEAD).toHaveLength(20);
    });

    it('crm.timeline.comment.add adds a comment to an existing lead; a missing owner is OWNER_NOT_FOUND', async () => {
      await callJson(sim.webhookUrl, 'crm.lead.add', { fields: { TITLE: 'L' } });
      const ok = await callJson<number>(sim.webhookUrl, 'crm.timeline.comment.add', { fields: { ENTITY_ID: 1, ENTITY_TYPE: 'lead', COMMENT: 'again [lg:x]' } });
      expect(ok.body.result).toBe(1);
      const missing = await callJson(sim.webhookUrl, 'crm.timeline.comment.add', { fields: { ENTITY_ID: 99, ENTITY_TYPE: 'lead', COMMENT: 'x' } });
      expect(missing.body).toMatchObject({ error: 'OWNER_NOT_FOUND' });
      const empty = await callJson(sim.webhookUrl, 'crm.timeline.comment.add', { fields: { ENTITY_ID: 1, ENTITY_TYPE: 'lead', COMMENT: ' ' } });
      expect(empty.body).toMatchObject({ error: 'INVALID_ARG_VALUE' });
      const list = await callJson<Array<Record<string, unknown>>>(sim.webhookUrl, 'crm.timeline.comment.list', { filter: { ENTITY_ID: 1, ENTITY_TYPE: 'lead' } });
      expect(list.body.result).toEqual([expect.objectContaining({ ID: '1', COMMENT: 'again [lg:x]' })]);
    });
  });

  describe('a simple-mode portal', () => {
    beforeEach(async () => {
      sim = await startBitrix24Simulator({ crmMode: 'simple' });
    });

    it('answers 2 and converts a lead with a first name at once into a contact and a deal found by LEAD_ID', async () => {
      expect((await callJson(sim.webhookUrl, 'crm.settings.mode.get')).body.result).toBe(2);
      const lead = (await callJson<number>(sim.webhookUrl, 'crm.lead.add', { fields: { TITLE: 'Web', ...person } })).body.result;
      expect(sim.leads()[0]!.fields).toMatchObject({ STATUS_ID: 'CONVERTED', CONTACT_ID: '1' });
      const deals = await callJson<Array<Record<string, unknown>>>(sim.webhookUrl, 'crm.deal.list', { filter: { LEAD_ID: lead }, select: ['ID', 'CONTACT_ID', 'COMPANY_ID', 'TITLE'] });
      expect(deals.body.result).toEqual([{ ID: '1', CONTACT_ID: '1', COMPANY_ID: null, TITLE: 'Web' }]);
      expect(sim.crmRecords('contact')[0]).toMatchObject({ NAME: 'Ann', LEAD_ID: String(lead), EMAIL: [expect.objectContaining({ VALUE: 'ann@example.com' })] });
    });

    it('reuses the contact a lead names and makes a company from COMPANY_TITLE; a lead without a first name stays a lead', async () => {
      sim.setCrmMode('classic');
      await callJson(sim.webhookUrl, 'crm.contact.add', { fields: person });
      sim.setCrmMode('simple');
      await callJson(sim.webhookUrl, 'crm.lead.add', { fields: { NAME: 'Ann', CONTACT_ID: 1, COMPANY_TITLE: 'Acme' } });
      expect(sim.crmRecords('contact')).toHaveLength(1);
      expect(sim.crmRecords('deal')[0]).toMatchObject({ CONTACT_ID: '1', COMPANY_ID: '1', IS_RETURN_CUSTOMER: 'Y' });
      await callJson(sim.webhookUrl, 'crm.lead.add', { fields: { TITLE: 'nameless' } });
      expect(sim.leads()[1]!.fields).toMatchObject({ STATUS_ID: 'NEW' });
    });
  });
});
