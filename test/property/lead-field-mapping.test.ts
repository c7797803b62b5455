import fc from 'fast-check';
import type { FormConfig } from '../../src/config/config';
import { toBitrix24Fields } from '../../src/clients/bitrix24/map-lead';
import { DEFAULT_FORM_FIELDS, formSubmissionToLead } from '../../src/sources/website-form';
import { emptyParams } from '../../src/lead/utm';
import { fieldName, personName } from './arbitraries';

const FORM: FormConfig = { destination: 'main', requireContact: true, trackingField: 'COMMENTS' };
const IDENTITY = { id: 'lg_0123456789abcdef0123456789abcdef', receivedAt: '2026-01-01T00:00:00.000Z' };
const TRACKING = /^(utm_|page_url$|referrer$|fbc$|fbp$|gclid$|gbraid$|wbraid$|dclid$|fbclid$|msclkid$|ttclid$|li_fat_id$|yclid$|twclid$|rdt_cid$)/;
const value = fc.stringMatching(/^[A-Za-z0-9 .,!?$&'`@-]{1,30}$/).filter((v) => v.trim() !== '');

function submit(body: Record<string, string>) {
  const fields = Object.assign(Object.create(null) as Record<string, string>, body);
  return formSubmissionToLead({ formId: 'f', body: fields, postQuery: emptyParams(), cookies: emptyParams() }, FORM, IDENTITY);
}

describe('form submission → lead → Bitrix24 fields, for any fields', () => {
  it('never throws, and every unmapped field the visitor typed reaches COMMENTS as typed', () => {
    fc.assert(fc.property(fc.dictionary(fieldName, value, { maxKeys: 8 }), (extra) => {
      const body: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [k, v] of Object.entries(extra)) body[k] = v;
      body.email = 'jane@example.com';
      const mapped = submit(body);
      expect(mapped.ok).toBe(true);
      if (!mapped.ok) return;
      const fields = toBitrix24Fields(mapped.value, 'leadgate');
      for (const [name, typed] of Object.entries(body)) {
        const key = name.toLowerCase();
        if (Object.hasOwn(DEFAULT_FORM_FIELDS, key) || TRACKING.test(key)) continue;
        expect(String(fields.COMMENTS)).toContain(`: ${typed.trim()}`);
      }
      expect(fields.ORIGIN_ID).toBe(IDENTITY.id);
      expect(fields.ORIGINATOR_ID).toBe('leadgate');
    }));
  });

  it('TITLE holds the visitor first name literally, $-patterns and all', () => {
    fc.assert(fc.property(personName, (name) => {
      const mapped = submit({ email: 'jane@example.com', first_name: name });
      expect(mapped.ok && mapped.value.fields.TITLE).toBe(`Web form f: ${name.trim()}`);
    }));
  });

  it('a full name is split into NAME and LAST_NAME that join back to it', () => {
    fc.assert(fc.property(personName, (name) => {
      const mapped = submit({ email: 'jane@example.com', name });
      if (!mapped.ok) throw new Error('refused');
      expect([mapped.value.fields.NAME, mapped.value.fields.LAST_NAME].filter(Boolean).join(' ')).toBe(name.trim().split(/\s+/).join(' '));
    }));
  });

  it('UTM values land in UTM_* fields exactly, unless the lead already has that field', () => {
    fc.assert(fc.property(value, value, (source, campaign) => {
      const mapped = submit({ email: 'jane@example.com', utm_source: source, utm_campaign: campaign });
      if (!mapped.ok) throw new Error('refused');
      const fields = toBitrix24Fields(mapped.value, 'leadgate');
      expect(fields.UTM_SOURCE).toBe(source.trim());
      expect(fields.UTM_CAMPAIGN).toBe(campaign.trim());
    }));
  });

  it('mapping the same submission twice gives the same fields', () => {
    fc.assert(fc.property(fc.dictionary(fieldName, value, { maxKeys: 6 }), (extra) => {
      const body = { ...Object.fromEntries(Object.entries(extra)), email: 'jane@example.com' };
      const a = submit(body);
      const b = submit(body);
      expect(a).toEqual(b);
    }));
  });
});
