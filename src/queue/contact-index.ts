/**
 * Keys of the contact index: `<prefix>:contact:<sha256 of an email or E.164 phone>` is the set of
 * lead ids about that person, expiring with their status records; `<prefix>:contact-index:since`
 * is when the index started (no personal data, owned by the index), so `forget` knows whether data
 * older than the index can still exist and must be scanned for.
 */
export function contactIndexKey(prefix: string, hash: string): string {
  return `${prefix}:contact:${hash}`;
}

export function contactIndexSinceKey(prefix: string): string {
  return `${prefix}:contact-index:since`;
}
