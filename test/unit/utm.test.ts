import { captureClickIds, captureUtm, parseCookies, queryOf } from '../../src/lead/utm';

const empty = { body: {}, postQuery: {}, pageQuery: {}, cookies: {} };

describe('UTM capture', () => {
  it('takes each parameter from the first place that has it: body, POST query, page URL, cookies', () => {
    const utm = captureUtm({
      body: { utm_source: 'body-src' },
      postQuery: { utm_source: 'post-src', utm_medium: 'post-med' },
      pageQuery: { utm_medium: 'page-med', utm_campaign: 'page-camp' },
      cookies: { utm_campaign: 'cookie-camp', utm_term: 'cookie-term' },
    });
    expect(utm).toEqual({ source: 'body-src', medium: 'post-med', campaign: 'page-camp', term: 'cookie-term' });
  });

  it('ignores blank values and trims', () => {
    expect(captureUtm({ ...empty, body: { utm_source: '  ' }, cookies: { utm_source: ' news ' } })).toEqual({ source: 'news' });
  });

  it('keeps click ids case-sensitive and reads Meta cookies', () => {
    const ids = captureClickIds({ ...empty, pageQuery: { gclid: 'AbC', fbclid: 'IwAR2F4' }, cookies: { _fbp: 'fb.1.1596403881668.1116446470', _fbc: 'fb.1.1554763741205.AbCd' } });
    expect(ids).toEqual({ gclid: 'AbC', fbclid: 'IwAR2F4', fbp: 'fb.1.1596403881668.1116446470', fbc: 'fb.1.1554763741205.AbCd' });
  });

  it('parses page URLs and cookie headers defensively', () => {
    expect(queryOf('https://x.test/p?utm_source=a&utm_source=b')).toEqual({ utm_source: 'a' });
    expect(queryOf('not a url')).toEqual({});
    expect(parseCookies('utm_source=news%20letter; bad; _fbp="fb.1.2.3"')).toEqual({ utm_source: 'news letter', _fbp: 'fb.1.2.3' });
  });
});
