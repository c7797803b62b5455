import fc from 'fast-check';
import { MAX_PHONE_LENGTH, normalisePhone } from '../../src/lead/phone';
import { anyText } from './arbitraries';

const E164 = /^\+[1-9][0-9]{1,14}$/;
const countries = fc.constantFrom(undefined, 'DE', 'US', 'GB', 'RU', 'FR');
const phoneLike = fc
  .tuple(fc.constantFrom('', '+', '00'), fc.array(fc.oneof(fc.stringMatching(/^[0-9]{1,4}$/), fc.constantFrom(' ', '-', '.', '(', ')', '/')), { maxLength: 12 }))
  .map(([prefix, parts]) => prefix + parts.join(''));

describe('normalisePhone, for any input', () => {
  it('never throws', () => {
    fc.assert(fc.property(fc.oneof(anyText, phoneLike), countries, (raw, country) => {
      normalisePhone(raw, country);
    }));
  });

  it('a valid phone is E.164, or the visitor text with 5 to 15 digits and phone characters only', () => {
    fc.assert(fc.property(fc.oneof(anyText, phoneLike), countries, (raw, country) => {
      const phone = normalisePhone(raw, country);
      if (!phone.valid) return;
      const digits = phone.value.replace(/[^0-9]/g, '');
      expect(E164.test(phone.value) || (/^\+?[0-9 ()./-]+$/.test(phone.value) && digits.length >= 5 && digits.length <= 15)).toBe(true);
    }));
  });

  it('is idempotent: a normalised valid phone normalises to itself', () => {
    fc.assert(fc.property(phoneLike, countries, (raw, country) => {
      const once = normalisePhone(raw, country);
      fc.pre(once.valid);
      expect(normalisePhone(once.value, country)).toEqual(once);
    }));
  });

  it('text without a digit, or with one digit repeated, is never a phone', () => {
    fc.assert(fc.property(fc.oneof(fc.stringMatching(/^[^0-9]*$/), fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 40 })).map(([d, n]) => String(d).repeat(n))), countries, (raw, country) => {
      expect(normalisePhone(raw, country).valid).toBe(false);
    }));
  });

  it('anything longer than the cap is refused and never echoed whole', () => {
    fc.assert(fc.property(fc.string({ minLength: MAX_PHONE_LENGTH + 1, maxLength: 500 }), (raw) => {
      fc.pre(raw.trim().length > MAX_PHONE_LENGTH);
      const phone = normalisePhone(raw);
      expect(phone.valid).toBe(false);
      expect(phone.value.length).toBeLessThanOrEqual(MAX_PHONE_LENGTH);
    }));
  });
});
