import { generatePartnerKey, hashPartnerKey } from '../sources/partner/partner-auth';

function snippet(name: string, hash: string): string[] {
  return ['sources:', '  partners:', `    ${name}:`, `      keyHashes: ["${hash}"]`];
}

/**
 * `leadgate partners new-key`: a fresh key for a partner (shown once, never stored) and the
 * SHA-256 that goes into config. Returns the lines to print.
 */
export function newPartnerKeyLines(name = 'PARTNER_NAME'): string[] {
  const { key, hash } = generatePartnerKey();
  return [
    `key:  ${key}`,
    `hash: ${hash}`,
    '',
    'Give the key to the partner over a secure channel; leadgate keeps only the hash.',
    'They send it as "Authorization: Bearer <key>". Add the hash to your config:',
    '',
    ...snippet(name, hash),
    '',
    'To rotate, list the old and the new hash together until the partner has switched.',
  ];
}

/** `leadgate partners hash-key <key>`: the hash to put in config for a key you already have. */
export function hashPartnerKeyLines(key: string): string[] {
  if (key.trim() === '') throw new Error('give the key to hash');
  return [hashPartnerKey(key)];
}
