import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { partnerLeadToLead, type PartnerLead } from '../../../src/sources/partner/partner-lead';
import { IDENTITY, partnerConfig } from './source-configs';

const valid = JSON.parse(readFileSync(join(__dirname, '../../fixtures/partner/valid.json'), 'utf8')) as PartnerLead;

describe('partnerLeadToLead', () => {
  it('maps contact, company and comments; SOURCE_ID PARTNER and the partner name as SOURCE_DESCRIPTION', () => {
    const mapped = partnerLeadToLead(valid, 'acme', partnerConfig(), IDENTITY);
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.value).toEqual({
      id: IDENTITY.id,
      source: { kind: 'partner', name: 'acme', externalId: 'ref-2026-000123' },
      destination: 'main',
      receivedAt: IDENTITY.receivedAt,
      fields: {
        NAME: 'Anna', LAST_NAME: 'Schmidt',
        EMAIL: [{ VALUE: 'anna.schmidt@example.com', VALUE_TYPE: 'WORK' }],
        PHONE: [{ VALUE: '+4915112345678', VALUE_TYPE: 'WORK' }],
        COMPANY_TITLE: 'Schmidt GmbH', POST: 'Head of Purchasing', COMMENTS: 'Wants a quote for 20 seats.',
        SOURCE_ID: 'PARTNER', SOURCE_DESCRIPTION: 'acme', TITLE: 'Partner acme: Anna Schmidt',
      },
      utm: { source: 'partner_newsletter', medium: 'email', campaign: 'spring_2026' },
      tracking: { clickIds: {}, consent: 'yes, given at 2026-03-01T10:15:00Z, "I agree to be contacted about offers."' },
      extras: [
        { label: 'seats', value: '20' },
        { label: 'budget', value: '10-20k' },
      ],
      trackingField: 'COMMENTS',
    });
  });

  it('uses the configured SOURCE_ID, description, destination and custom field mapping', () => {
    const config = partnerConfig({ sourceId: 'RECOMMENDATION', sourceDescription: 'ACME Referral Program', destination: 'b2b', fieldMap: { seats: 'UF_CRM_SEATS' } });
    const mapped = partnerLeadToLead(valid, 'acme', config, IDENTITY);
    if (!mapped.ok) throw new Error('expected ok');
    expect(mapped.value.fields).toMatchObject({ SOURCE_ID: 'RECOMMENDATION', SOURCE_DESCRIPTION: 'ACME Referral Program', UF_CRM_SEATS: '20' });
    expect(mapped.value.destination).toBe('b2b');
    expect(mapped.value.extras.map((e) => e.label)).toEqual(['budget']);
  });

  it('splits a full name and leaves externalId out when no reference was sent', () => {
    const mapped = partnerLeadToLead({ contact: { full_name: 'Joe Example', phone: '+16505550123' } }, 'acme', partnerConfig(), IDENTITY);
    if (!mapped.ok) throw new Error('expected ok');
    expect(mapped.value.fields).toMatchObject({ NAME: 'Joe', LAST_NAME: 'Example' });
    expect(mapped.value.source).toEqual({ kind: 'partner', name: 'acme' });
  });

  it('answers a phone Bitrix24 would refuse with its path (the partner can fix it)', () => {
    expect(partnerLeadToLead({ contact: { phone: 'call me' } }, 'acme', partnerConfig(), IDENTITY)).toEqual({
      ok: false, errors: [{ field: '/contact/phone', message: 'must be a phone number' }],
    });
  });
});
