import type { RedisClient } from '../shared/redis-client';

/**
 * Keys of the contact index: `<prefix>:contacts:<sha256 of an email or E.164 phone>` is a hash whose
 * fields are the ids of the leads about that person (values empty), expiring with their status
 * records; `<prefix>:contact-index:since` is when the index started (no personal data, owned by the
 * index), so `forget` knows whether data older than the index can still exist and must be scanned for.
 * The ledger's queued-record script writes the entries (HSET <key> <lead id> '', EXPIRE).
 *
 * A hash, not a set: on Redis before 7.2 a set of strings is a hash table even for one member
 * (~280 bytes), a small hash keeps the compact listpack encoding (~180). Versions before this one wrote
 * sets under `<prefix>:contact:<hash>` (`legacyContactIndexKey`); they expire within
 * `statusRetentionSeconds`, and until then every reader and remover takes both keys.
 */
export function contactIndexKey(prefix: string, hash: string): string {
  return `${prefix}:contacts:${hash}`;
}

/** The set a version before the hash index wrote for the same contact. */
export function legacyContactIndexKey(prefix: string, hash: string): string {
  return `${prefix}:contact:${hash}`;
}

export function contactIndexSinceKey(prefix: string): string {
  return `${prefix}:contact-index:since`;
}

/** The ids of every lead filed under the contact, in either shape of the index. */
export async function contactLeadIds(redis: RedisClient, prefix: string, hash: string): Promise<string[]> {
  const replies = (await redis.pipeline().hkeys(contactIndexKey(prefix, hash)).smembers(legacyContactIndexKey(prefix, hash)).exec()) ?? [];
  const ids = replies.flatMap(([err, reply]) => {
    if (err) throw err;
    return reply as string[];
  });
  return [...new Set(ids)];
}

/** Takes one lead out of a contact's entry; true when that removed the contact's last lead. */
export async function unindexContact(redis: RedisClient, prefix: string, hash: string, leadId: string): Promise<boolean> {
  const key = contactIndexKey(prefix, hash);
  const legacy = legacyContactIndexKey(prefix, hash);
  const replies = (await redis.pipeline().hdel(key, leadId).srem(legacy, leadId).exists(key, legacy).exec()) ?? [];
  const [removed, removedLegacy, left] = replies.map(([err, reply]) => {
    if (err) throw err;
    return reply as number;
  });
  return (removed ?? 0) + (removedLegacy ?? 0) > 0 && left === 0;
}

/** Drops a contact's entry whole; the number of keys removed. */
export async function dropContactIndex(redis: RedisClient, prefix: string, hash: string): Promise<number> {
  return redis.del(contactIndexKey(prefix, hash), legacyContactIndexKey(prefix, hash));
}
