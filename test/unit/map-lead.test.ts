import { toBitrix24Fields } from '../../src/clients/bitrix24/map-lead';
import { toPhpQuery } from '../../src/clients/bitrix24/php-query';
import type { Lead } from '../../src/lead/lead';

const lead: Lead = {
  id: 'lg_abc123def4567890abcdef12',
  source: { kind: 'form', name: 'contact' },
  destination: 'main',
  receivedAt: '2026-11-26T10:00:00.000Z',
  fields: { NAME: 'Jane', COMMENTS: 'Call me', TITLE: 'Hello' },
  utm: { source: 'google', medium: 'cpc' },
  tracking: { clickIds: { gclid: 'Cj0' }, pageUrl: 'https://x.test/lp' },
  extras: [{ label: 'budget', value: '10k' }],
  trackingField: 'COMMENTS',
};

describe('lead → crm.lead.add fields', () => {
  it('sets ORIGINATOR_ID and ORIGIN_ID so a retry can find the lead', () => {
    expect(toBitrix24Fields(lead, 'leadgate')).toMatchObject({ ORIGINATOR_ID: 'leadgate', ORIGIN_ID: lead.id });
  });

  it('fills UTM fields and appends extras and tracking to COMMENTS', () => {
    const fields = toBitrix24Fields(lead, 'leadgate');
    expect(fields).toMatchObject({ UTM_SOURCE: 'google', UTM_MEDIUM: 'cpc' });
    expect(fields.COMMENTS).toBe('Call me\n\nbudget: 10k\n\n— tracking —\ngclid: Cj0\npage: https://x.test/lp');
  });

  it('writes tracking to a custom field when configured, and marks test leads', () => {
    const fields = toBitrix24Fields({ ...lead, trackingField: 'UF_CRM_TRACKING', test: true }, 'leadgate');
    expect(fields.UF_CRM_TRACKING).toBe('— tracking —\ngclid: Cj0\npage: https://x.test/lp');
    expect(fields.TITLE).toBe('[TEST] Hello');
  });

  it('encodes nested fields in PHP bracket syntax for batch commands', () => {
    expect(toPhpQuery({ fields: { TITLE: 'A&B', PHONE: [{ VALUE: '+1', VALUE_TYPE: 'WORK' }] } })).toBe(
      'fields[TITLE]=A%26B&fields[PHONE][0][VALUE]=%2B1&fields[PHONE][0][VALUE_TYPE]=WORK',
    );
  });
});
