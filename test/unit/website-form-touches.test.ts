import { DEFAULT_FORM, type FormConfig } from '../../src/config/config';
import type { Lead } from '../../src/lead/lead';
import { toBitrix24Fields } from '../../src/clients/bitrix24/map-lead';
import { formatDuration } from '../../src/clients/bitrix24/touch-lines';
import { formSubmissionToLead } from '../../src/sources/website-form';

const identity = { id: 'lg_test0001aaaaaaaaaaaaaaaa', receivedAt: '2026-11-26T10:00:00.000Z' };
const FIRST = { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'spring', gclid: 'Cj0KQ-first', landing: 'https://shop.example/a?utm_source=google&gclid=Cj0KQ-first', referrer: 'https://www.google.com/', age: 3 * 86_400 + 7200 };
const LAST = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'winter', landing: 'https://shop.example/b?utm_source=newsletter', age: 600 };

function submit(body: Record<string, string>, form: FormConfig = DEFAULT_FORM): Lead {
  const result = formSubmissionToLead({ formId: 'contact', body: { email: 'a@b.co', ...body }, postQuery: {}, cookies: {}, referer: 'https://shop.example/' }, form, identity);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}
const touches = (first: object = FIRST, last: object = LAST) => ({ lg_first_touch: JSON.stringify(first), lg_last_touch: JSON.stringify(last), page_url: 'https://shop.example/c' });

describe("the snippet's first and last touch", () => {
  it('fill UTM_* from the last touch by default and keep the first with its time', () => {
    const lead = submit(touches());
    expect(lead.utm).toEqual({ source: 'newsletter', medium: 'email', campaign: 'winter' });
    expect(lead.tracking).toMatchObject({ clickIds: {}, pageUrl: 'https://shop.example/c' });
    expect(lead.tracking.touches).toEqual({
      attribution: 'last',
      first: { utm: { source: 'google', medium: 'cpc', campaign: 'spring' }, clickIds: { gclid: 'Cj0KQ-first' }, landingPage: FIRST.landing, referrer: FIRST.referrer, at: '2026-11-23T08:00:00.000Z' },
      last: { utm: { source: 'newsletter', medium: 'email', campaign: 'winter' }, clickIds: {}, landingPage: LAST.landing, at: '2026-11-26T09:50:00.000Z' },
      secondsSinceFirstTouch: 266_400,
    });
    expect(lead.extras).toEqual([]);
  });

  it('fill UTM_* and the click ids from the first touch when the form says attribution: first', () => {
    const lead = submit(touches(), { ...DEFAULT_FORM, attribution: 'first' });
    expect(lead.utm).toEqual({ source: 'google', medium: 'cpc', campaign: 'spring' });
    expect(lead.tracking.clickIds).toEqual({ gclid: 'Cj0KQ-first' });
    expect(lead.tracking.referrer).toBe('https://www.google.com/');
  });

  it('stand in for the page URL, but fields the form sends itself still win', () => {
    const lead = submit({ ...touches(), page_url: 'https://shop.example/c?utm_source=ignored', utm_content: 'footer-form', fbc: 'fb.1.1700000000000.now' });
    expect(lead.utm).toEqual({ source: 'newsletter', medium: 'email', campaign: 'winter', content: 'footer-form' });
    expect(lead.tracking.clickIds).toEqual({ fbc: 'fb.1.1700000000000.now' });
  });

  it('are written to the tracking field: the other touch in full, and the time to submission', () => {
    const fields = toBitrix24Fields(submit(touches()), 'leadgate');
    expect(fields.UTM_SOURCE).toBe('newsletter');
    expect(String(fields.COMMENTS).split('\n')).toEqual([
      '— tracking —',
      'page: https://shop.example/c',
      `last touch (UTM fields): 2026-11-26T09:50:00.000Z, landing ${LAST.landing}`,
      `first touch: 2026-11-23T08:00:00.000Z, landing ${FIRST.landing}, from https://www.google.com/`,
      'first touch campaign: utm_source=google, utm_medium=cpc, utm_campaign=spring, gclid=Cj0KQ-first',
      'first touch to submission: 3 d 2 h',
    ]);
  });

  it('say so when the first visit is also the last', () => {
    const fields = toBitrix24Fields(submit(touches(FIRST, FIRST)), 'leadgate');
    expect(String(fields.COMMENTS)).toContain('first touch: the same visit');
  });

  it('that cannot be read cost nothing: the lead is taken with the attribution it has', () => {
    for (const bad of ['not json', '[1,2]', 'null', '"x"', JSON.stringify({ utm_source: 7, age: 'old' }), 'x'.repeat(9000)]) {
      const lead = submit({ lg_first_touch: bad, lg_last_touch: bad, page_url: 'https://shop.example/c?utm_source=page' });
      expect(lead.extras).toEqual([]);
      expect(lead.utm.source).toBe(bad.includes('utm_source') ? undefined : 'page');
    }
    expect(submit({ lg_last_touch: JSON.stringify({ ...LAST, age: 1e300 }) }).tracking.touches?.last?.at).toBeUndefined();
  });

  it('keep names from the prototype out (a touch is visitor data)', () => {
    const lead = submit({ lg_last_touch: '{"__proto__":{"utm_source":"evil"},"constructor":"x","utm_source":"ok"}' });
    expect(lead.utm).toEqual({ source: 'ok' });
  });
});

describe('formatDuration', () => {
  it('reads like a person would say it', () => {
    expect([formatDuration(42), formatDuration(60), formatDuration(3 * 3600 + 5 * 60), formatDuration(86_400)]).toEqual(['42 s', '1 min', '3 h 5 min', '1 d']);
  });
});
