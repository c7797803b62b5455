import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lead } from '../../../src/lead/lead';
import { metaLeadToLead, type GraphLead } from '../../../src/sources/meta/graph-lead';
import type { LeadgenNotification } from '../../../src/lead/leadgen-notification';
import { IDENTITY, PAGE_ID, metaConfig } from './source-configs';

const fullLead = JSON.parse(readFileSync(join(__dirname, '../../fixtures/meta/graph-lead-full.json'), 'utf8')) as GraphLead;
const notification: LeadgenNotification = { leadgenId: fullLead.id, pageId: PAGE_ID, formId: fullLead.form_id, adId: fullLead.ad_id };

function map(lead: GraphLead, config = metaConfig(), note: LeadgenNotification = notification): Lead {
  const mapped = metaLeadToLead(lead, note, config, IDENTITY);
  if (!mapped.ok) throw new Error(JSON.stringify(mapped.errors));
  return mapped.value;
}

describe('metaLeadToLead', () => {
  it('maps the standard prefill keys to Bitrix24 fields', () => {
    expect(map(fullLead).fields).toEqual({
      NAME: 'Anna',
      LAST_NAME: 'Maria Schmidt',
      EMAIL: [{ VALUE: 'anna.schmidt@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+4915112345678', VALUE_TYPE: 'WORK' }],
      ADDRESS_CITY: 'Berlin',
      ADDRESS_POSTAL_CODE: '10115',
      ADDRESS_COUNTRY: 'DE',
      COMPANY_TITLE: 'Schmidt GmbH',
      POST: 'Head of Purchasing',
      BIRTHDATE: '1990-01-31',
      SOURCE_ID: 'ADVERTISING',
      TITLE: 'Instagram lead ad: Anna Maria Schmidt',
    });
  });

  it('keeps unmapped answers and the disclaimer checkboxes as extras, so nothing typed is lost', () => {
    expect(map(fullLead).extras).toEqual([
      { label: 'gender', value: 'female' },
      { label: 'car make', value: 'Honda' },
      { label: 'selected dealer', value: '99213450' },
      { label: 'disclaimer optional_1', value: 'checked' },
      { label: 'disclaimer optional_2', value: 'not checked' },
    ]);
  });

  it('maps custom questions by config, a form mapping over the global one', () => {
    const config = metaConfig({
      fieldMap: { car_make: 'UF_CRM_CAR_MAKE', selected_dealer: 'UF_CRM_DEALER' },
      pages: { [PAGE_ID]: { accessToken: 't', forms: { [fullLead.form_id ?? '']: { fieldMap: { selected_dealer: 'UF_CRM_STORE' } } } } },
    });
    const lead = map(fullLead, config);
    expect(lead.fields).toMatchObject({ UF_CRM_CAR_MAKE: 'Honda', UF_CRM_STORE: '99213450' });
    expect(lead.fields.UF_CRM_DEALER).toBeUndefined();
    expect(lead.extras.map((e) => e.label)).not.toContain('car make');
  });

  it('fills UTM by the default rule: platform, paid_social, campaign, ad and ad set names', () => {
    expect(map(fullLead).utm).toEqual({
      source: 'instagram', medium: 'paid_social', campaign: 'Spring 2026 leads', content: 'Spring carousel A', term: 'Lookalike DE 1%',
    });
    expect(map({ ...fullLead, platform: 'fb' }).utm.source).toBe('facebook');
  });

  it('applies a configured UTM rule: templates over the defaults, null switches a key off', () => {
    const config = metaConfig({ utm: { source: 'meta_{platform}', campaign: '{campaign_id}', term: null } });
    expect(map(fullLead, config).utm).toEqual({
      source: 'meta_instagram', medium: 'paid_social', campaign: '23849853425890100', content: 'Spring carousel A',
    });
  });

  it("leaves a UTM key out when Meta did not send the campaign data (e.g. missing ads_read access)", () => {
    const bare: GraphLead = { id: fullLead.id, ad_id: fullLead.ad_id, field_data: [{ name: 'email', values: ['a@b.co'] }] };
    expect(map(bare).utm).toEqual({ source: 'facebook', medium: 'paid_social' });
  });

  it('names the source by page and Meta lead id, and keeps Meta ids (19 digits) for the operator', () => {
    const lead = map(fullLead);
    expect(lead.source).toEqual({ kind: 'meta', name: PAGE_ID, externalId: '9223372036854775807' });
    expect(lead.tracking.clickIds).toEqual({
      meta_lead_id: '9223372036854775807',
      meta_page_id: PAGE_ID,
      meta_form_id: '1000000000000000001',
      meta_campaign_id: '23849853425890100',
      meta_adset_id: '23849853425890183',
      meta_ad_id: '23849853425890185',
    });
    expect(lead).toMatchObject({ id: IDENTITY.id, receivedAt: IDENTITY.receivedAt, destination: 'main', trackingField: 'COMMENTS' });
    expect(lead.test).toBeUndefined();
  });

  it('marks a lead without an ad id (Lead Ads Testing Tool) as a test with a [TEST] title', () => {
    const testLead: GraphLead = { id: '233370042045345', form_id: '172036835026334', field_data: [{ name: 'full_name', values: ['<test lead: dummy data for full_name>'] }] };
    const lead = map(testLead, metaConfig(), { leadgenId: testLead.id, pageId: PAGE_ID, formId: testLead.form_id });
    expect(lead.test).toBe(true);
    expect(lead.fields.TITLE).toBe('[TEST] Facebook lead ad: <test lead: dummy data for full_name>');
  });

  it('does not mark an organic lead (no ad, is_organic) as a test', () => {
    const organic: GraphLead = { id: '1', is_organic: true, field_data: [{ name: 'email', values: ['a@b.co'] }] };
    expect(map(organic, metaConfig(), { leadgenId: '1', pageId: PAGE_ID }).test).toBeUndefined();
  });

  it('routes by form, then page, then the source destination; uses the configured SOURCE_ID and title', () => {
    const config = metaConfig({
      sourceId: 'UC_FACEBOOK',
      title: '{platform}: {name} ({campaign})',
      pages: { [PAGE_ID]: { accessToken: 't', destination: 'sales', forms: { '42': { destination: 'dealers' } } } },
    });
    expect(map(fullLead, config).destination).toBe('sales');
    expect(map({ ...fullLead, form_id: '42' }, config).destination).toBe('dealers');
    expect(map(fullLead, config).fields).toMatchObject({ SOURCE_ID: 'UC_FACEBOOK', TITLE: 'Instagram: Anna Maria Schmidt (Spring 2026 leads)' });
  });

  it('keeps a value Bitrix24 would refuse as an extra instead of losing the lead', () => {
    const odd: GraphLead = {
      id: '1', ad_id: '2',
      field_data: [{ name: 'email', values: ['anna at example'] }, { name: 'phone_number', values: ['call me'] }, { name: 'date_of_birth', values: ['31.01.1990'] }, { name: 'work_email', values: ['anna@work.example'] }],
    };
    const lead = map(odd);
    expect(lead.fields.EMAIL).toEqual([{ VALUE: 'anna@work.example', VALUE_TYPE: 'WORK' }]);
    expect(lead.fields.PHONE).toBeUndefined();
    expect(lead.fields.BIRTHDATE).toBeUndefined();
    expect(lead.extras).toEqual(expect.arrayContaining([
      { label: 'email (not valid)', value: 'anna at example' },
      { label: 'phone number (not valid)', value: 'call me' },
      { label: 'date of birth', value: '31.01.1990' },
    ]));
  });

  it('uses a two-letter country answer for national phone numbers', () => {
    const lead = map({ id: '1', ad_id: '2', field_data: [{ name: 'country', values: ['de'] }, { name: 'phone_number', values: ['0151 12345678'] }] });
    expect(lead.fields.PHONE).toEqual([{ VALUE: '+4915112345678', VALUE_TYPE: 'WORK' }]);
  });

  it('joins the answers of a multiple-choice question', () => {
    const lead = map({ id: '1', ad_id: '2', field_data: [{ name: 'interests', values: ['SUVs', 'Vans'] }] });
    expect(lead.extras).toEqual([{ label: 'interests', value: 'SUVs, Vans' }]);
  });
});
