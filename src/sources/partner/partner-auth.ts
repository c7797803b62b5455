import { createHash, randomBytes } from 'node:crypto';
import { safeEqual } from '../../shared/safe-equal';
import type { PartnerConfig } from '../../config/sources-config';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** What config stores for a key: its SHA-256, hex. Keys are long random strings, so no salt is needed. */
export function hashPartnerKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key for a partner (given to them once) and the hash to put in config. */
export function generatePartnerKey(): { key: string; hash: string } {
  const key = `lgp_${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashPartnerKey(key) };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * The partner whose configured hashes contain this key's hash, or undefined. Every hash of every
 * partner is compared (no early exit) in constant time, so timing reveals neither which partner
 * nor how close a guess was.
 */
export function findPartnerByKey(key: string | undefined, partners: Readonly<Record<string, PartnerConfig>>): string | undefined {
  if (!key) return undefined;
  const presented = Buffer.from(hashPartnerKey(key), 'hex');
  let found: string | undefined;
  for (const [name, partner] of Object.entries(partners)) {
    for (const hash of partner.keyHashes) {
      if (!HEX_SHA256.test(hash)) continue;
      if (safeEqual(presented, Buffer.from(hash, 'hex')) && found === undefined) found = name;
    }
  }
  return found;
}
