import fc from 'fast-check';
import { UTM_KEYS } from '../../src/lead/lead';
import { captureClickIds, captureUtm, emptyParams, parseCookies, queryOf, type Params } from '../../src/lead/utm';
import { anyText, fieldName, PROTOTYPE_NAMES } from './arbitraries';

const utmName = fc.constantFrom(...UTM_KEYS.map((k) => `utm_${k}`));
const params = fc.dictionary(fc.oneof(utmName, fieldName), fc.option(anyText, { nil: undefined }), { maxKeys: 8 }).map((d) => Object.assign(emptyParams(), d) as Params);
const places = fc.record({ body: params, postQuery: params, pageQuery: params, cookies: params });

const clean = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim().slice(0, 255));

describe('captureUtm, for any four places', () => {
  it('takes each key from the first place that has it, trimmed and at most 255 characters', () => {
    fc.assert(fc.property(places, (p) => {
      const utm = captureUtm(p);
      for (const key of UTM_KEYS) {
        const name = `utm_${key}`;
        const own = (x: Params): string | undefined => (Object.hasOwn(x, name) ? x[name] : undefined);
        expect(utm[key]).toBe(clean(own(p.body)) ?? clean(own(p.postQuery)) ?? clean(own(p.pageQuery)) ?? clean(own(p.cookies)));
      }
      expect(Object.keys(utm).every((k) => (UTM_KEYS as readonly string[]).includes(k))).toBe(true);
    }));
  });

  it('is idempotent: capturing from the captured values gives them back', () => {
    fc.assert(fc.property(places, (p) => {
      const utm = captureUtm(p);
      const again = Object.assign(emptyParams(), Object.fromEntries(Object.entries(utm).map(([k, v]) => [`utm_${k}`, v])));
      expect(captureUtm({ body: again, postQuery: emptyParams(), pageQuery: emptyParams(), cookies: emptyParams() })).toEqual(utm);
    }));
  });

  it('never reads anything from Object.prototype', () => {
    fc.assert(fc.property(places, (p) => {
      const ids = captureClickIds(p);
      for (const value of [...Object.values(captureUtm(p)), ...Object.values(ids)]) expect(typeof value).toBe('string');
    }));
  });
});

describe('parseCookies and queryOf, for any header or URL', () => {
  it('never throw, and prototype-named cookies are cookies like any other', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.stringMatching(/^[a-z_]{1,10}$/)), fc.stringMatching(/^[a-zA-Z0-9%]{0,10}$/)), { maxLength: 6 }), (pairs) => {
      const header = pairs.map(([n, v]) => `${n}=${v}`).join('; ');
      const cookies = parseCookies(header);
      const first = new Map<string, string>();
      for (const [n, v] of pairs) if (!first.has(n)) first.set(n, v);
      for (const [n, v] of first) {
        let expected = v;
        try {
          expected = decodeURIComponent(v);
        } catch {
          /* kept raw */
        }
        expect(Object.hasOwn(cookies, n) && cookies[n]).toBe(expected);
      }
    }));
  });

  it('queryOf never throws on any text', () => {
    fc.assert(fc.property(fc.oneof(anyText, fc.webUrl({ withQueryParameters: true })), (url) => {
      const query = queryOf(url);
      for (const value of Object.values(query)) expect(typeof value).toBe('string');
    }));
  });
});
