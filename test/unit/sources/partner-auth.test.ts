import { createHash } from 'node:crypto';
import { bearerToken, findPartnerByKey, generatePartnerKey, hashPartnerKey } from '../../../src/sources/partner/partner-auth';
import { partnerConfig } from './source-configs';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('partner keys', () => {
  it('hashes a key as SHA-256 hex', () => {
    expect(hashPartnerKey('lgp_secret')).toBe(sha256('lgp_secret'));
    expect(hashPartnerKey('lgp_secret')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('generates long random keys with their hash', () => {
    const { key, hash } = generatePartnerKey();
    expect(key).toMatch(/^lgp_[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(sha256(key));
    expect(generatePartnerKey().key).not.toBe(key);
  });

  const partners = {
    acme: partnerConfig({ keyHashes: [sha256('acme-old'), sha256('acme-new')] }),
    globex: partnerConfig({ keyHashes: [sha256('globex-1')] }),
  };

  it('finds the partner by any of its keys (rotation)', () => {
    expect(findPartnerByKey('acme-old', partners)).toBe('acme');
    expect(findPartnerByKey('acme-new', partners)).toBe('acme');
    expect(findPartnerByKey('globex-1', partners)).toBe('globex');
  });

  it('finds nobody for an unknown, empty or missing key, or for the hash itself', () => {
    expect(findPartnerByKey('acme', partners)).toBeUndefined();
    expect(findPartnerByKey('', partners)).toBeUndefined();
    expect(findPartnerByKey(undefined, partners)).toBeUndefined();
    expect(findPartnerByKey(sha256('acme-old'), partners)).toBeUndefined();
    expect(findPartnerByKey('acme-old', {})).toBeUndefined();
  });

  it('reads the token of an Authorization: Bearer header', () => {
    expect(bearerToken('Bearer lgp_abc')).toBe('lgp_abc');
    expect(bearerToken('bearer   lgp_abc ')).toBe('lgp_abc');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
