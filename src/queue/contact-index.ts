import type { RedisClient } from '../shared/redis-client';
import { compactLeadId, expandLeadId } from './compact-id';

/**
 * The contact index: which leads are about one email or phone (for `forget` and the console's search
 * by contact), by the SHA-256 of the normalised contact, never the contact itself.
 *
 * Shared buckets, not a key per contact: a key of its own costs a contact ~180 bytes (two per lead),
 * an entry in a shared bucket ~34. Entries are filed by the time they were written, in windows of
 * `contactIndexWindowSeconds(statusRetentionSeconds)` (1/16 of the retention, at least an hour), and
 * within a window in one of 256 buckets by the hash's first two hex digits:
 *
 *   `<prefix>:contacts:<window start, unix s>:l<2 hex>`  list of entries `<hex 3..18 of the hash, 11 characters><lead id, compact>`
 *   `<prefix>:contacts:windows`                          sorted set of window starts, scored by their expiry
 *
 * An entry is ~30 characters, not 43: the hash's 64 bits after the bucket's in 11 characters (the
 * first one of G-V for its first 4 bits, then base64url for the other 60) and the lead id as
 * compact-id.ts stores it (19 characters instead of 27).
 *
 * A list, because filing is the intake's cost and reading is `forget`'s: RPUSH appends, where the
 * hash buckets of earlier versions (`<prefix>:contacts:<window>:<2 hex>`, the entry a field, value '')
 * made Redis scan the bucket's listpack for the field on every HSET: ~9 µs of Redis a contact, a
 * fifth of all Redis did for a lead's record (bench). Every reader looks up a contact by scanning its
 * bucket anyway (the lead id is part of the entry), and a list stays compact (listpack nodes) at any
 * size, where a hash of more than 128 entries became a hash table of twice the bytes. A lead filed
 * twice (queued again under its id) is listed twice; readers count it once and LREM takes both.
 *
 * A bucket expires whole at its window's end + the retention, so an entry lives between
 * `statusRetentionSeconds` and that plus one window. 72 bits of the hash (bucket and entry) tell
 * contacts apart; the windows set lists the windows a reader must look in, so a change of the
 * retention (and so of the window length) loses nothing.
 *
 * Earlier versions' keys are read and removed until they expire (within the retention after an
 * upgrade): the hash buckets above (their fields also in the shape `<16 hex><lead id>`, starting with a
 * hex digit, never G-V), before them `<prefix>:contacts:<sha256>` (a hash per contact, lead ids as
 * fields) and sets `<prefix>:contact:<sha256>`. `<prefix>:contact-index:since` is when the index
 * started (no personal data), so `forget` knows whether data older than the index can still exist.
 */
export const CONTACT_BUCKET_HEX = 2;
/** Hex digits of the hash an entry keeps after its bucket's. */
export const CONTACT_FIELD_HEX = 16;
/** Long enough to name a contact in every bucket: what a status record keeps of each of its contacts. */
export const CONTACT_REF_HEX = CONTACT_BUCKET_HEX + CONTACT_FIELD_HEX;

export function contactIndexWindowSeconds(retentionSeconds: number): number {
  return Math.max(3600, Math.ceil(retentionSeconds / 16 / 3600) * 3600);
}

/** The window a write at `nowMs` files its entries under, and when that window's buckets expire (unix s). */
export function contactIndexWindow(retentionSeconds: number, nowMs: number): { start: number; expiresAt: number } {
  const length = contactIndexWindowSeconds(retentionSeconds);
  const start = Math.floor(nowMs / 1000 / length) * length;
  return { start, expiresAt: start + length + retentionSeconds };
}

export function contactWindowsKey(prefix: string): string {
  return `${prefix}:contacts:windows`;
}

/** A contact's bucket in one window (a list); `ref` is its hash or the first CONTACT_REF_HEX digits of it. */
export function contactBucketKey(prefix: string, windowStart: number | string, ref: string): string {
  return `${prefix}:contacts:${windowStart}:${contactBucketName(ref)}`;
}

/** The bucket's name within its window: what the intake's record script is given for each entry. */
export function contactBucketName(ref: string): string {
  return `l${ref.slice(0, CONTACT_BUCKET_HEX)}`;
}

/** The same contact's bucket as earlier versions wrote it (a hash, the entries its fields). */
export function hashContactBucketKey(prefix: string, windowStart: number | string, ref: string): string {
  return `${prefix}:contacts:${windowStart}:${ref.slice(0, CONTACT_BUCKET_HEX)}`;
}

/** What a field starts with for a contact (its hash or reference): 11 characters, the first one of G-V. */
export function contactFieldRef(ref: string): string {
  const hex = ref.slice(CONTACT_BUCKET_HEX, CONTACT_REF_HEX);
  // 4 bits in a letter no hex digit is (so the two shapes never meet), then 60 bits in 10 base64url characters.
  return `${String.fromCharCode(71 + parseInt(hex[0]!, 16))}${Buffer.from(`${hex.slice(1)}0`, 'hex').toString('base64url').slice(0, 10)}`;
}

/** The bucket's entry for one lead about the contact. */
export function contactBucketField(ref: string, leadId: string): string {
  return contactBucketFieldOf(ref, compactLeadId(leadId));
}

/** contactBucketField with the lead id already compacted (compactLeadId): once for all a lead's contacts. */
export function contactBucketFieldOf(ref: string, compactId: string): string {
  return `${contactFieldRef(ref)}${compactId}`;
}

/** The field an earlier version wrote for the same lead and contact (`<16 hex><lead id>`). */
export function earlierContactBucketField(ref: string, leadId: string): string {
  return `${ref.slice(CONTACT_BUCKET_HEX, CONTACT_REF_HEX)}${leadId}`;
}

const NEW_FIELD = /^[G-V]/;

/** A field's contact part and lead id, in either shape. */
function parseField(field: string): { ref: string; leadId: string } {
  if (NEW_FIELD.test(field)) return { ref: field.slice(0, 11), leadId: expandLeadId(field.slice(11)) };
  return { ref: field.slice(0, CONTACT_FIELD_HEX), leadId: field.slice(CONTACT_FIELD_HEX) };
}

/** Whether a field names this contact (in either shape). */
function fieldOf(ref: string): (field: string) => boolean {
  const mine = contactFieldRef(ref);
  const earlier = ref.slice(CONTACT_BUCKET_HEX, CONTACT_REF_HEX);
  return (field) => parseField(field).ref === (NEW_FIELD.test(field) ? mine : earlier);
}

/** The hash per contact the version before the buckets wrote. */
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

/** Window starts whose buckets may still exist. */
export async function contactWindows(redis: RedisClient, prefix: string): Promise<string[]> {
  return redis.zrangebyscore(contactWindowsKey(prefix), Math.floor(Date.now() / 1000), '+inf');
}

/** Earlier versions' keys are named by the whole hash; a shortened reference has none. */
function legacyKeys(prefix: string, ref: string): string[] {
  return ref.length === 64 ? [contactIndexKey(prefix, ref), legacyContactIndexKey(prefix, ref)] : [];
}

/** Both buckets of a contact in one window: the list, and the hash earlier versions wrote. */
function bucketsOf(prefix: string, window: string, ref: string): { list: string; hash: string } {
  return { list: contactBucketKey(prefix, window, ref), hash: hashContactBucketKey(prefix, window, ref) };
}

/** The ids of every lead filed under the contact (its hash, or a status record's shortened reference), in any shape of the index. */
export async function contactLeadIds(redis: RedisClient, prefix: string, ref: string): Promise<string[]> {
  const windows = await contactWindows(redis, prefix);
  const pipeline = redis.pipeline();
  for (const window of windows) {
    const { list, hash } = bucketsOf(prefix, window, ref);
    pipeline.lrange(list, 0, -1).hkeys(hash);
  }
  const legacy = legacyKeys(prefix, ref);
  if (legacy.length > 0) pipeline.hkeys(legacy[0]!).smembers(legacy[1]!);
  const replies = (await pipeline.exec()) ?? [];
  const mine = fieldOf(ref);
  const ids = replies.flatMap(([err, reply], i) => {
    if (err) throw err;
    const names = reply as string[];
    return i < 2 * windows.length ? names.filter(mine).map((f) => parseField(f).leadId) : names;
  });
  return [...new Set(ids)];
}

/** Takes one lead out of a contact's entries; true when that removed the contact's last lead. */
export async function unindexContact(redis: RedisClient, prefix: string, ref: string, leadId: string): Promise<boolean> {
  const windows = await contactWindows(redis, prefix);
  const pipeline = redis.pipeline();
  for (const window of windows) {
    const { list, hash } = bucketsOf(prefix, window, ref);
    pipeline.lrem(list, 0, contactBucketField(ref, leadId)).hdel(hash, contactBucketField(ref, leadId), earlierContactBucketField(ref, leadId));
  }
  const legacy = legacyKeys(prefix, ref);
  if (legacy.length > 0) pipeline.hdel(legacy[0]!, leadId).srem(legacy[1]!, leadId);
  const replies = (await pipeline.exec()) ?? [];
  const removed = replies.reduce((sum, [err, reply]) => {
    if (err) throw err;
    return sum + (reply as number);
  }, 0);
  return removed > 0 && (await contactLeadIds(redis, prefix, ref)).length === 0;
}

/** Queues the removal of `entries` from a bucket of either shape (a list's LREM takes every copy). */
function dropEntries(pipeline: ReturnType<RedisClient['pipeline']>, key: string, shape: 'list' | 'hash', entries: string[]): void {
  if (entries.length === 0) return;
  if (shape === 'hash') pipeline.hdel(key, ...entries);
  else for (const entry of new Set(entries)) pipeline.lrem(key, 0, entry);
}

async function run(pipeline: ReturnType<RedisClient['pipeline']>): Promise<number> {
  let removed = 0;
  for (const [err, reply] of (await pipeline.exec()) ?? []) {
    if (err) throw err;
    removed += reply as number;
  }
  return removed;
}

/** Drops every entry of a contact; the number of its leads' entries and earlier versions' keys removed. */
export async function dropContactIndex(redis: RedisClient, prefix: string, ref: string): Promise<number> {
  const windows = await contactWindows(redis, prefix);
  const mine = fieldOf(ref);
  let removed = 0;
  for (const window of windows) {
    const { list, hash } = bucketsOf(prefix, window, ref);
    const [entries, fields] = await Promise.all([redis.lrange(list, 0, -1), redis.hkeys(hash)]);
    const drop = redis.pipeline();
    dropEntries(drop, list, 'list', entries.filter(mine));
    dropEntries(drop, hash, 'hash', fields.filter(mine));
    if (drop.length > 0) removed += await run(drop);
  }
  const legacy = legacyKeys(prefix, ref);
  return removed + (legacy.length > 0 ? await redis.del(...legacy) : 0);
}

/**
 * Every contact entry naming the lead, found without knowing its contacts (a status record that no
 * longer lists them): each bucket of every window is read, which is `forget`'s price, not the intake's.
 */
export async function unindexLeadEverywhere(redis: RedisClient, prefix: string, leadId: string): Promise<number> {
  let removed = 0;
  for (const window of await contactWindows(redis, prefix)) {
    const buckets: Array<{ key: string; shape: 'list' | 'hash' }> = [];
    for (let b = 0; b < 16 ** CONTACT_BUCKET_HEX; b += 1) {
      const { list, hash } = bucketsOf(prefix, window, b.toString(16).padStart(CONTACT_BUCKET_HEX, '0'));
      buckets.push({ key: list, shape: 'list' }, { key: hash, shape: 'hash' });
    }
    const read = redis.pipeline();
    for (const { key, shape } of buckets) {
      if (shape === 'list') read.lrange(key, 0, -1);
      else read.hkeys(key);
    }
    const replies = (await read.exec()) ?? [];
    const drop = redis.pipeline();
    replies.forEach(([err, reply], i) => {
      if (err) throw err;
      const entries = (reply as string[]).filter((f) => parseField(f).leadId === leadId);
      if (entries.length > 0) dropEntries(drop, buckets[i]!.key, buckets[i]!.shape, entries);
    });
    if (drop.length > 0) removed += await run(drop);
  }
  return removed;
}
