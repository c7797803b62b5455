import { hashPartnerKeyLines, newPartnerKeyLines } from '../../src/cli/partners';
import { parsePageTokens } from '../../src/cli/sim';
import { findPartnerByKey, hashPartnerKey } from '../../src/sources/partner/partner-auth';

describe('leadgate partners', () => {
  it('new-key prints a key, its hash and a config snippet that accepts the key', () => {
    const lines = newPartnerKeyLines('acme');
    const key = lines[0]!.replace(/^key:\s+/, '');
    const hash = lines[1]!.replace(/^hash:\s+/, '');
    expect(key).toMatch(/^lgp_[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(hashPartnerKey(key));
    expect(lines).toEqual(expect.arrayContaining(['    acme:', `      keyHashes: ["${hash}"]`]));
    expect(findPartnerByKey(key, { acme: { keyHashes: [hash] } as never })).toBe('acme');
  });

  it('hash-key prints the SHA-256 of a key', () => {
    expect(hashPartnerKeyLines('abc')).toEqual(['ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']);
    expect(() => hashPartnerKeyLines(' ')).toThrow();
  });
});

describe('leadgate sim meta --page-token', () => {
  it('reads PAGE:TOKEN pairs, tokens may hold colons', () => {
    expect(parsePageTokens(['123:EAAB-a', '456:EAAB:b'])).toEqual({ '123': 'EAAB-a', '456': 'EAAB:b' });
    expect(() => parsePageTokens(['nope'])).toThrow(/PAGE_ID:TOKEN/);
    expect(() => parsePageTokens(['abc:token'])).toThrow(/PAGE_ID:TOKEN/);
  });
});
