import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import schema from '../../../schemas/google-lead.schema.json';
import type { Lead } from '../../../src/lead/lead';
import { checkGoogleKey } from '../../../src/sources/google/google-key';
import { GoogleLeadError, parseGoogleLeadBody, type GoogleLead } from '../../../src/sources/google/google-lead';
import { googleLeadToLead } from '../../../src/sources/google/google-lead-to-lead';
import { IDENTITY, googleConfig } from './source-configs';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/google', name), 'utf8');
const testData = fixture('send-test-data.json');
const bigIds = fixture('send-test-data-19-digit-Google_key.json');

function map(lead: GoogleLead, config = googleConfig()): Lead {
  const mapped = googleLeadToLead(lead, config, IDENTITY);
  if (!mapped.ok) throw new Error(JSON.stringify(mapped.errors));
  return mapped.value;
}

describe('parseGoogleLeadBody', () => {
  it('reads Google\'s "send test data" payload, ids as digit strings', () => {
    expect(parseGoogleLeadBody(testData)).toMatchObject({
      lead_id: 'TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl',
      form_id: '18698608977', campaign_id: '991214827', adgroup_id: '20000000000', creative_id: '30000000000',
      is_test: true, api_version: '1.0', google_key: 'test-google-key-0001',
    });
  });

  it('keeps every digit of 19-digit int64 ids sent as JSON numbers', () => {
    expect(parseGoogleLeadBody(bigIds)).toMatchObject({
      form_id: '1234567890123456789', campaign_id: '9223372036854775807', adgroup_id: '9007199254740993',
      creative_id: '1000000000000000001', asset_group_id: '9223372036854775806',
    });
  });

  it('treats a missing is_test as a production lead and ignores unknown fields', () => {
    const lead = parseGoogleLeadBody('{"lead_id":"abc","form_id":2,"campaign_id":1,"lead_stage":"NEW","whatever":[1]}');
    expect(lead).toEqual({ lead_id: 'abc', user_column_data: [], form_id: '2', campaign_id: '1', is_test: false, lead_stage: 'NEW' });
  });

  it('accepts every example published in schemas/google-lead.schema.json', () => {
    for (const example of schema.examples) expect(parseGoogleLeadBody(JSON.stringify(example)).lead_id).toBeTruthy();
  });

  it('refuses what Google would never send', () => {
    expect(() => parseGoogleLeadBody('nope')).toThrow(GoogleLeadError);
    expect(() => parseGoogleLeadBody('{"user_column_data":[]}')).toThrow(/\/lead_id: is required/);
    expect(() => parseGoogleLeadBody('{"lead_id":"a","form_id":"12a"}')).toThrow(/\/form_id/);
  });
});

describe('checkGoogleKey', () => {
  it('accepts google_key, Google_key or any capitalisation of the name', () => {
    expect(checkGoogleKey(parseGoogleLeadBody(testData), ['test-google-key-0001'])).toBe(true);
    expect(checkGoogleKey(JSON.parse(bigIds) as object, ['test-google-key-0001'])).toBe(true);
    expect(checkGoogleKey({ GOOGLE_KEY: 'k-12345678' }, ['k-12345678'])).toBe(true);
  });

  it('accepts any configured key (rotation) and refuses a wrong, empty or missing key', () => {
    expect(checkGoogleKey({ google_key: 'new-key-0002' }, ['old-key-0001', 'new-key-0002'])).toBe(true);
    expect(checkGoogleKey({ google_key: 'test-google-key-0002' }, ['test-google-key-0001'])).toBe(false);
    expect(checkGoogleKey({ google_key: '' }, ['test-google-key-0001', ''])).toBe(false);
    expect(checkGoogleKey({ lead_id: 'x' }, ['test-google-key-0001'])).toBe(false);
  });

  it('fails closed when no key is configured', () => {
    expect(checkGoogleKey({ google_key: 'anything' }, [])).toBe(false);
  });
});

describe('googleLeadToLead', () => {
  it('maps the test payload: columns, a [TEST] lead, gclid, ADVERTISING and the default UTM rule', () => {
    const lead = map(parseGoogleLeadBody(testData));
    expect(lead.fields).toEqual({
      NAME: 'FirstName', LAST_NAME: 'LastName',
      PHONE: [{ VALUE: '+16505550123', VALUE_TYPE: 'WORK' }],
      EMAIL: [{ VALUE: 'test@example.com', VALUE_TYPE: 'WORK' }],
      ADDRESS_POSTAL_CODE: '94043',
      SOURCE_ID: 'ADVERTISING',
      TITLE: '[TEST] Google Ads lead: FirstName LastName',
    });
    expect(lead.test).toBe(true);
    expect(lead.utm).toEqual({ source: 'google', medium: 'cpc', campaign: '991214827' });
    expect(lead.source).toEqual({ kind: 'google', name: '18698608977', externalId: parseGoogleLeadBody(testData).lead_id });
    expect(lead.tracking.clickIds.gclid).toBe(parseGoogleLeadBody(testData).gcl_id);
  });

  it('keeps 19-digit ids intact through to the lead', () => {
    const lead = map(parseGoogleLeadBody(bigIds));
    expect(lead.utm.campaign).toBe('9223372036854775807');
    expect(lead.source.name).toBe('1234567890123456789');
    expect(lead.tracking.clickIds).toMatchObject({
      google_form_id: '1234567890123456789', google_campaign_id: '9223372036854775807', google_adgroup_id: '9007199254740993',
      google_creative_id: '1000000000000000001', google_asset_group_id: '9223372036854775806',
    });
  });

  it('puts custom columns in extras, labelled by column_name or else column_id', () => {
    expect(map(parseGoogleLeadBody(bigIds)).extras).toEqual([
      { label: 'what is your timeline?', value: 'Within a month' },
      { label: 'Vehicle model', value: 'Civic' },
    ]);
  });

  it('maps custom columns by config, a form mapping over the global one, and routes by form', () => {
    const config = googleConfig({
      columnMap: { VEHICLE_MODEL: 'UF_CRM_MODEL', 'what_is_your_timeline?': 'UF_CRM_TIMELINE' },
      forms: { '1234567890123456789': { destination: 'cars', columnMap: { VEHICLE_MODEL: 'UF_CRM_CAR' } } },
    });
    const lead = map(parseGoogleLeadBody(bigIds), config);
    expect(lead.fields).toMatchObject({ UF_CRM_CAR: 'Civic', UF_CRM_TIMELINE: 'Within a month' });
    expect(lead.extras).toEqual([]);
    expect(lead.destination).toBe('cars');
  });

  it('maps the other standard columns', () => {
    const columns = [
      ['FIRST_NAME', 'Jane'], ['LAST_NAME', 'Doe'], ['WORK_EMAIL', 'jane@corp.example'], ['WORK_PHONE', '+14155550100'],
      ['STREET_ADDRESS', '1 Main St'], ['CITY', 'Springfield'], ['REGION', 'IL'], ['COUNTRY', 'US'],
      ['COMPANY_NAME', 'Corp'], ['JOB_TITLE', 'CTO'],
    ].map(([column_id, string_value]) => ({ column_id, string_value }));
    expect(map({ lead_id: 'x', user_column_data: columns, is_test: false }).fields).toMatchObject({
      NAME: 'Jane', LAST_NAME: 'Doe', EMAIL: [{ VALUE: 'jane@corp.example', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+14155550100', VALUE_TYPE: 'WORK' }], ADDRESS: '1 Main St', ADDRESS_CITY: 'Springfield',
      ADDRESS_PROVINCE: 'IL', ADDRESS_COUNTRY: 'US', COMPANY_TITLE: 'Corp', POST: 'CTO', TITLE: 'Google Ads lead: Jane Doe',
    });
  });

  it('applies a configured UTM rule and SOURCE_ID', () => {
    const lead = map(parseGoogleLeadBody(bigIds), googleConfig({ sourceId: 'UC_GOOGLE', utm: { medium: 'ppc', content: '{creative_id}', term: '{adgroup_id}' } }));
    expect(lead.utm).toEqual({ source: 'google', medium: 'ppc', campaign: '9223372036854775807', content: '1000000000000000001', term: '9007199254740993' });
    expect(lead.fields.SOURCE_ID).toBe('UC_GOOGLE');
  });
});
