import fc from 'fast-check';
import { splitFullName } from '../../src/lead/names';
import { anyText, personName } from './arbitraries';

describe('splitFullName, for any input', () => {
  it('never throws and never invents text', () => {
    fc.assert(fc.property(anyText, (full) => {
      const { first, last } = splitFullName(full);
      const words = full.trim().split(/\s+/).filter(Boolean);
      expect([first, last].filter(Boolean).join(' ')).toBe(words.join(' '));
    }));
  });

  it('the first name is one word and the rest is the last name, literally', () => {
    fc.assert(fc.property(personName, (full) => {
      const { first, last } = splitFullName(full);
      expect(first).toBe(full.split(' ')[0]);
      expect(last ?? '').toBe(full.split(' ').slice(1).join(' '));
    }));
  });

  it('is idempotent: splitting the joined halves again gives the same halves', () => {
    fc.assert(fc.property(anyText, (full) => {
      const once = splitFullName(full);
      expect(splitFullName([once.first, once.last].filter(Boolean).join(' '))).toEqual(once);
    }));
  });
});
