import { DEFAULT_FORM, type FormConfig } from '../../src/config/config';
import type { Lead } from '../../src/lead/lead';
import { formSubmissionToLead, type FormSubmission } from '../../src/sources/website-form';

const identity = { id: 'lg_test0001aaaaaaaaaaaaaaaa', receivedAt: '2026-11-26T10:00:00.000Z' };

function submit(body: Record<string, string>, form: FormConfig = DEFAULT_FORM, extra: Partial<FormSubmission> = {}): Lead {
  const result = formSubmissionToLead({ formId: 'contact', body, postQuery: {}, cookies: {}, ...extra }, form, identity);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

describe('website form → lead', () => {
  it('splits a full name and turns email and phone into Bitrix24 multifields', () => {
    const lead = submit({ name: 'Jane van der Berg', email: 'Jane@Example.com', phone: '+49 30 1234567' });
    expect(lead.fields).toMatchObject({
      NAME: 'Jane',
      LAST_NAME: 'van der Berg',
      EMAIL: [{ VALUE: 'jane@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+49301234567', VALUE_TYPE: 'WORK' }],
      SOURCE_ID: 'WEB',
      TITLE: 'Web form contact: Jane van der Berg',
    });
  });

  it('accepts the aliases users send', () => {
    const lead = submit({ first_name: 'Ann', last_name: 'Lee', tel: '+1 650 555 0123', company: 'Acme', job_title: 'CTO', comments: 'Hi', title: 'Demo request' });
    expect(lead.fields).toMatchObject({ NAME: 'Ann', LAST_NAME: 'Lee', COMPANY_TITLE: 'Acme', POST: 'CTO', COMMENTS: 'Hi', TITLE: 'Demo request' });
  });

  it('normalises national numbers to E.164 with the form default country', () => {
    const lead = submit({ phone: '030 1234567' }, { ...DEFAULT_FORM, phoneCountry: 'DE' });
    expect(lead.fields.PHONE).toEqual([{ VALUE: '+49301234567', VALUE_TYPE: 'WORK' }]);
  });

  it('keeps unknown fields as extras instead of dropping them', () => {
    const lead = submit({ email: 'a@b.co', budget: '10k', 'preferred-time': 'mornings' });
    expect(lead.extras).toEqual([{ label: 'budget', value: '10k' }, { label: 'preferred time', value: 'mornings' }]);
  });

  it('requires an email or a phone unless the form says otherwise', () => {
    const result = formSubmissionToLead({ formId: 'f', body: { name: 'Nobody' }, postQuery: {}, cookies: {} }, DEFAULT_FORM, identity);
    expect(result).toEqual({ ok: false, errors: [{ field: 'email', message: 'an email or a phone is required' }] });
    expect(submit({ name: 'Nobody' }, { ...DEFAULT_FORM, requireContact: false }).fields.NAME).toBe('Nobody');
  });

  it('reports every invalid contact field', () => {
    const result = formSubmissionToLead({ formId: 'f', body: { email: 'not-an-email', phone: 'call me' }, postQuery: {}, cookies: {} }, DEFAULT_FORM, identity);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.field)).toEqual(['email', 'phone']);
  });

  it('applies the form mapping and constants, and routes to its destination', () => {
    const form: FormConfig = { ...DEFAULT_FORM, destination: 'eu', fields: { name: 'NAME', budget: 'UF_CRM_BUDGET' }, set: { SOURCE_ID: 'WEBFORM', ASSIGNED_BY_ID: 7 } };
    const lead = submit({ name: 'Jo Bloggs', email: 'jo@x.io', budget: '5k' }, form);
    expect(lead.destination).toBe('eu');
    expect(lead.fields).toMatchObject({ NAME: 'Jo', LAST_NAME: 'Bloggs', UF_CRM_BUDGET: '5k', SOURCE_ID: 'WEBFORM', ASSIGNED_BY_ID: 7 });
  });

  it('captures UTM and click ids from the page URL given in the body, keeping the referrer', () => {
    const lead = submit(
      { email: 'a@b.co', page_url: 'https://site.test/lp?utm_source=google&utm_campaign=spring&gclid=Cj0K' },
      DEFAULT_FORM,
      { referer: 'https://search.test/' },
    );
    expect(lead.utm).toEqual({ source: 'google', campaign: 'spring' });
    expect(lead.tracking).toEqual({ clickIds: { gclid: 'Cj0K' }, pageUrl: 'https://site.test/lp?utm_source=google&utm_campaign=spring&gclid=Cj0K', referrer: 'https://search.test/' });
    expect(lead.extras).toEqual([]);
  });

  it('does not treat the honeypot or tracking fields as extras', () => {
    const lead = submit({ email: 'a@b.co', website: '', utm_source: 'x', fbclid: 'abc' }, { ...DEFAULT_FORM, honeypot: 'website' });
    expect(lead.extras).toEqual([]);
  });
});
