import { createHash } from 'node:crypto';
import type { RedisClient } from '../shared/redis-client';
import { exactIsoMs, isoOfMs } from '../shared/iso-time';
import { compactLeadId, leadIdTimeMs } from './compact-id';

/**
 * A delivered lead's status record, compacted: once the lead has been delivered for a while (nothing
 * writes its record any more), the record (a hash of its own, ~600 bytes with Redis's per-key
 * overhead) becomes one field of a shared small hash (~70 bytes with its field, a long click id more):
 *
 *   `<prefix>:status:<window start, unix s>:<2 hex>`  hash, field = lead id (compact-id.ts), value = the record encoded
 *   `<prefix>:status:windows`                         sorted set of window starts, scored by their expiry
 *   `<prefix>:status:pending`                         list of `<delivered at ms> <lead id>` still to compact
 *   `<prefix>:status:pairs`                           hash: each (destination, source) a record names, by a short code
 *
 * The bucket is the first two hex digits of the id's SHA-1 (256 buckets per window); a window is
 * 1/16 of `statusRetentionSeconds` (at least an hour) of compactions, and its buckets expire whole at
 * its end + the retention, so a compacted record lives between `statusRetentionSeconds` and that plus
 * one window after its compaction. A value is at most 64 bytes, so a bucket keeps Redis's compact
 * encoding (listpack, at most 128 entries by default: ~32,000 compactions per window); a longer one
 * (a real click id is ~90 characters) goes on in `<id>:1`, `<id>:2`, …, cut between characters.
 *
 * The field is the lead id as compact-id.ts stores it (19 characters, not 27); a field an earlier
 * version wrote (the id itself) is still read and removed.
 *
 * What the encoding keeps is what the record said, field for field (`decodeStatus` gives the same
 * hash back), except the contact hashes: an erasure finds a compacted lead's contact entries by its id
 * (contact-index.ts `unindexLeadEverywhere`). A record that cannot be encoded faithfully is left as it is.
 */
export const STATUS_BUCKET_HEX = 2;
const PIECE = 64;
const MAX_PIECES = 16;
const SEP = '\x1f';

/**
 * A status record's conversion identity in the few characters `encodeConversion` gives, the field
 * `cv` (a queued lead's record: ~100 bytes less than its JSON in two pieces, `conversionIds`).
 */
export const CONVERSION_FIELD = 'cv';

/** The conversion identity's JSON a record holds, whichever way it was written; undefined when none. */
export function recordConversionJson(hash: Record<string, string>): string | undefined {
  const compact = hash[CONVERSION_FIELD];
  if (compact !== undefined) return decodeConversion(compact.split(SEP), Date.parse(hash.receivedAt ?? ''), hash.externalId);
  return whole(hash, 'conversionIds');
}

export function statusWindowSeconds(retentionSeconds: number): number {
  return Math.max(3600, Math.ceil(retentionSeconds / 16 / 3600) * 3600);
}

export function statusWindow(retentionSeconds: number, nowMs: number): { start: number; expiresAt: number } {
  const length = statusWindowSeconds(retentionSeconds);
  const start = Math.floor(nowMs / 1000 / length) * length;
  return { start, expiresAt: start + length + retentionSeconds };
}

export function statusWindowsKey(prefix: string): string {
  return `${prefix}:status:windows`;
}

/**
 * The (destination, source) pairs compacted records name by a code (`c:<code>` -> `<destination> U+001F
 * <source>`, `p:<pair>` -> code, `n` the last code given): a handful of pairs for every lead, so a
 * record keeps a character or two instead of both names (~15 bytes a delivered lead). It expires no
 * earlier than the last bucket that uses it.
 */
export function statusPairsKey(prefix: string): string {
  return `${prefix}:status:pairs`;
}

/** A compacted record names a pair its dictionary no longer has (the key was deleted by hand). */
export class StatusPairUnknownError extends Error {
  constructor(code: string) {
    super(`compacted status record names pair ${code}, which ${'`status:pairs`'} does not hold`);
    this.name = 'StatusPairUnknownError';
  }
}

export interface StatusPair {
  destination: string;
  source: string;
}

export function statusPendingKey(prefix: string): string {
  return `${prefix}:status:pending`;
}

export function statusBucketKey(prefix: string, windowStart: number | string, leadId: string): string {
  return `${prefix}:status:${windowStart}:${createHash('sha1').update(leadId).digest('hex').slice(0, STATUS_BUCKET_HEX)}`;
}

function pieceField(leadId: string, i: number): string {
  return i === 0 ? leadId : `${leadId}:${i}`;
}

/** Fields stored under a letter instead of their name; any other field keeps its name. */
const SHORT: Record<string, string> = {
  externalId: 'x',
  entity: 'e',
  assignedTo: 't',
  crmDealId: 'D',
  crmContactId: 'C',
  crmCompanyId: 'O',
  crmCommentId: 'M',
  returning: 'R',
  lastError: 'E',
  attempt1: 'a',
  conversionIds: 'c',
};
const LONG = Object.fromEntries(Object.entries(SHORT).map(([k, v]) => [v, k]));

const GOOGLE_KEYS: Record<string, string> = { gclid: 'c', gbraid: 'b', wbraid: 'w' };
const GOOGLE_LETTERS = Object.fromEntries(Object.entries(GOOGLE_KEYS).map(([k, v]) => [v, k]));

/** Milliseconds of an ISO time that reads back as the same string, else undefined. */
function isoMs(value: string | undefined): number | undefined {
  return value === undefined ? undefined : exactIsoMs(value);
}

const b36 = (n: number): string => n.toString(36);
const fromB36 = (s: string): number => parseInt(s, 36);

/** A value stored in 64-byte pieces (`<name>`, `<name>:1`, …) whole again. */
function whole(hash: Record<string, string>, name: string): string | undefined {
  if (hash[name] === undefined) return undefined;
  let value = '';
  for (let i = 0; i < MAX_PIECES; i += 1) value += hash[i === 0 ? name : `${name}:${i}`] ?? '';
  return value;
}

/** The conversion identity's JSON in a few characters: `g<key letter><click time - received, base 36>,<click id>` and `m<Meta lead id>`. */
export function encodeConversion(json: string, receivedMs: number, externalId: string | undefined, parsed?: object): string | undefined {
  let identity: { metaLeadId?: unknown; google?: { key?: unknown; value?: unknown; clickAt?: unknown } };
  try {
    // `parsed`: the object `json` was made from (a lead just queued), not read again.
    identity = (parsed ?? JSON.parse(json)) as typeof identity;
  } catch {
    return undefined;
  }
  const parts: string[] = [];
  if (identity.metaLeadId !== undefined) {
    if (typeof identity.metaLeadId !== 'string' || identity.metaLeadId.includes(',')) return undefined;
    parts.push(`m${identity.metaLeadId === externalId ? '' : identity.metaLeadId}`);
  }
  if (identity.google !== undefined) {
    const { key, value, clickAt } = identity.google;
    const clickMs = isoMs(typeof clickAt === 'string' ? clickAt : undefined);
    if (typeof key !== 'string' || !GOOGLE_KEYS[key] || typeof value !== 'string' || clickMs === undefined) return undefined;
    parts.push(`g${GOOGLE_KEYS[key]}${b36(clickMs - receivedMs)},${value}`);
  }
  // Exactly the JSON it came from, or not compacted: the reader must get the same identity back.
  if (decodeConversion(parts, receivedMs, externalId) !== json) return undefined;
  return parts.join(SEP);
}

export function decodeConversion(parts: string[], receivedMs: number, externalId: string | undefined): string {
  const identity: { metaLeadId?: string; google?: { key: string; value: string; clickAt: string } } = {};
  for (const part of parts) {
    if (part.startsWith('m')) identity.metaLeadId = part.length > 1 ? part.slice(1) : (externalId ?? '');
    else if (part.startsWith('g')) {
      const comma = part.indexOf(',');
      identity.google = { key: GOOGLE_LETTERS[part[1]!] ?? '', value: part.slice(comma + 1), clickAt: isoOfMs(receivedMs + fromB36(part.slice(2, comma))) };
    }
  }
  return JSON.stringify(identity);
}

/**
 * A delivered record as one string: `1` and received (ms, base 36) or, given the id of a `newLeadId`,
 * `2` and received as ms after the id's time (two characters instead of eight); then, separated by
 * U+001F, updated (ms after received), source, destination, Bitrix24 id (base 36), the first attempt (`d`/`r`:
 * delivered/reconciled at the update time), then `<letter or name>=<value>` for every other field;
 * a conversion identity as `g…`/`m…` parts. Undefined when the record is not a delivered one this can
 * give back exactly.
 */
export function encodeStatus(hash: Record<string, string>, leadId?: string, pairCode?: string): string | undefined {
  if (hash.status !== 'delivered') return undefined;
  const receivedMs = isoMs(hash.receivedAt);
  const updatedMs = isoMs(hash.updatedAt);
  if (receivedMs === undefined || updatedMs === undefined) return undefined;
  const done = new Set(['status', 'receivedAt', 'updatedAt', 'source', 'destination', 'bitrixLeadId', 'unsure']);
  const bitrix = hash.bitrixLeadId !== undefined && /^[1-9]\d{0,14}$/.test(hash.bitrixLeadId) ? b36(Number(hash.bitrixLeadId)) : undefined;
  if (hash.bitrixLeadId !== undefined && bitrix === undefined) done.delete('bitrixLeadId');
  let first = '';
  if (hash.attempt1 !== undefined) {
    try {
      const attempt = JSON.parse(hash.attempt1) as Record<string, unknown>;
      const letter = attempt.outcome === 'delivered' ? 'd' : attempt.outcome === 'reconciled' ? 'r' : undefined;
      if (letter && Object.keys(attempt).length === 2 && attempt.at === hash.updatedAt && JSON.stringify({ at: attempt.at, outcome: attempt.outcome }) === hash.attempt1) first = letter;
    } catch {
      // Not JSON: kept as it is, below.
    }
  }
  // Received as the ms after the id was made (`2…`, a digit or two: the id of a form or partner lead is
  // made as it arrives), else as the time itself (`1…`, 8 digits).
  const idMs = leadId === undefined ? undefined : leadIdTimeMs(leadId);
  // `3`/`4` as `1`/`2`, with the (destination, source) pair as its code in `status:pairs` instead of both names.
  const version = (idMs === undefined ? 1 : 2) + (pairCode === undefined ? 0 : 2);
  const received = idMs === undefined ? b36(receivedMs) : b36(receivedMs - idMs);
  const names = pairCode === undefined ? [hash.source ?? '', hash.destination ?? ''] : [pairCode];
  const parts = [`${version}${received}`, b36(updatedMs - receivedMs), ...names, bitrix ?? '', first];
  if (first) done.add('attempt1');
  // A record written with both (an earlier version's, queued again by this one) is left whole.
  if (hash[CONVERSION_FIELD] !== undefined && hash.conversionIds !== undefined) return undefined;
  for (const name of Object.keys(hash)) {
    if (name === CONVERSION_FIELD) {
      parts.push(...hash[CONVERSION_FIELD]!.split(SEP));
      continue;
    }
    // Contact hashes (the index finds the lead by its id) and pieces of longer values (taken whole).
    if (done.has(name) || name === 'contacts' || /^contacts:\d+$/.test(name) || /:\d+$/.test(name)) continue;
    const value = whole(hash, name)!;
    if (name === 'conversionIds') {
      const compact = encodeConversion(value, receivedMs, hash.externalId);
      if (compact !== undefined) {
        parts.push(compact);
        continue;
      }
    }
    if (name.includes('=') || /^[gm]/.test(name)) return undefined;
    parts.push(`${SHORT[name] ?? name}=${value}`);
  }
  if (parts.some((p) => p.includes(SEP))) return undefined;
  const value = parts.join(SEP);
  const check = decodeStatus(value, leadId, pairCode === undefined ? undefined : new Map([[pairCode, { destination: hash.destination ?? '', source: hash.source ?? '' }]]));
  // Faithful or not at all: every field but the contact hashes reads back the same.
  for (const name of Object.keys(hash)) {
    if (name === 'unsure' || name === 'contacts' || /:\d+$/.test(name)) continue;
    if (name === CONVERSION_FIELD) {
      if (check.conversionIds !== recordConversionJson(hash)) return undefined;
      continue;
    }
    if (check[name] !== whole(hash, name)) return undefined;
  }
  return value;
}

/** A value written relative to its lead id's time, read without the id. */
export class LeadIdRequiredError extends Error {
  constructor() {
    super('this compacted record is written relative to its lead id: decode it with the id');
    this.name = 'LeadIdRequiredError';
  }
}

/** The record `encodeStatus` was given back (without the contact hashes), as the hash it was. */
export function decodeStatus(value: string, leadId?: string, pairs?: ReadonlyMap<string, StatusPair>): Record<string, string> {
  const parts = value.split(SEP);
  const version = parts[0]![0];
  if (version === '3' || version === '4') {
    const pair = pairs?.get(parts[2]!);
    if (!pair) throw new StatusPairUnknownError(parts[2]!);
    parts.splice(2, 1, pair.source, pair.destination);
  }
  let receivedMs = fromB36(parts[0]!.slice(1));
  if (version === '2' || version === '4') {
    const idMs = leadId === undefined ? undefined : leadIdTimeMs(leadId);
    if (idMs === undefined) throw new LeadIdRequiredError();
    receivedMs += idMs;
  }
  const hash: Record<string, string> = {
    status: 'delivered',
    receivedAt: new Date(receivedMs).toISOString(),
    updatedAt: new Date(receivedMs + fromB36(parts[1]!)).toISOString(),
    source: parts[2]!,
    destination: parts[3]!,
  };
  if (parts[4]) hash.bitrixLeadId = String(fromB36(parts[4]));
  if (parts[5]) hash.attempt1 = JSON.stringify({ at: hash.updatedAt, outcome: parts[5] === 'r' ? 'reconciled' : 'delivered' });
  const conversion: string[] = [];
  for (const part of parts.slice(6)) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      conversion.push(part);
      continue;
    }
    const name = part.slice(0, eq);
    hash[LONG[name] ?? name] = part.slice(eq + 1);
  }
  if (conversion.length > 0) hash.conversionIds = decodeConversion(conversion, receivedMs, hash.externalId);
  return hash;
}

/** `value` in pieces of at most 64 bytes of UTF-8, never inside a character. */
function cut(value: string): string[] {
  const out: string[] = [];
  let piece = '';
  let bytes = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char);
    if (bytes + size > PIECE) {
      out.push(piece);
      piece = '';
      bytes = 0;
    }
    piece += char;
    bytes += size;
  }
  out.push(piece);
  return out;
}

/** Window starts whose buckets may still exist. */
export async function statusWindows(redis: RedisClient, prefix: string): Promise<string[]> {
  return redis.zrangebyscore(statusWindowsKey(prefix), Math.floor(Date.now() / 1000), '+inf');
}

const PIECE_FIELDS = (id: string): string[] => Array.from({ length: MAX_PIECES }, (_, i) => pieceField(id, i));
/** The pieces' fields as written now (the compact id), then as earlier versions wrote them (the id). */
const BOTH_PIECE_FIELDS = (id: string): string[] => [...PIECE_FIELDS(compactLeadId(id)), ...PIECE_FIELDS(id)];

/** The compacted records of these leads, decoded (a lead not compacted is absent). */
export async function readCompacted(redis: RedisClient, prefix: string, ids: string[]): Promise<Map<string, Record<string, string>>> {
  const found = new Map<string, Record<string, string>>();
  if (ids.length === 0) return found;
  const windows = await statusWindows(redis, prefix);
  if (windows.length === 0) return found;
  const pipeline = redis.pipeline();
  for (const id of ids) for (const window of windows) pipeline.hmget(statusBucketKey(prefix, window, id), ...BOTH_PIECE_FIELDS(id));
  const replies = (await pipeline.exec()) ?? [];
  const values = new Map<string, string>();
  ids.forEach((id, i) => {
    for (let w = 0; w < windows.length; w += 1) {
      const [err, reply] = replies[i * windows.length + w]!;
      if (err) throw err;
      const both = reply as Array<string | null>;
      const pieces = both[0] !== null && both[0] !== undefined ? both.slice(0, MAX_PIECES) : both.slice(MAX_PIECES);
      if (pieces[0] === null || pieces[0] === undefined) continue;
      values.set(id, pieces.map((p) => p ?? '').join(''));
      break;
    }
  });
  const pairs = await readPairs(redis, prefix, [...values.values()]);
  for (const [id, value] of values) found.set(id, decodeStatus(value, id, pairs));
  return found;
}

/** The pairs these values name by code (status:pairs), none read when none does. */
async function readPairs(redis: RedisClient, prefix: string, values: string[]): Promise<Map<string, StatusPair>> {
  const codes = [...new Set(values.filter((v) => v[0] === '3' || v[0] === '4').map((v) => v.split(SEP)[2]!))];
  const pairs = new Map<string, StatusPair>();
  if (codes.length === 0) return pairs;
  const named = await redis.hmget(statusPairsKey(prefix), ...codes.map((c) => `c:${c}`));
  codes.forEach((code, i) => {
    const pair = named[i];
    if (pair === null || pair === undefined) return;
    const sep = pair.indexOf(SEP);
    pairs.set(code, { destination: pair.slice(0, sep), source: pair.slice(sep + 1) });
  });
  return pairs;
}

/**
 * The code of a (destination, source) pair (ARGV[1], `<destination> U+001F <source>`) in KEYS[1], given
 * now if it has none; the dictionary is kept until ARGV[2] (unix s, the buckets' expiry) at least.
 */
const PAIR_SCRIPT = `
local code = redis.call('HGET', KEYS[1], 'p:' .. ARGV[1])
if not code then
  code = tostring(redis.call('HINCRBY', KEYS[1], 'n', 1))
  redis.call('HSET', KEYS[1], 'p:' .. ARGV[1], code, 'c:' .. code, ARGV[1])
end
local expiresAt = tonumber(ARGV[2])
if redis.call('TTL', KEYS[1]) < expiresAt - tonumber(ARGV[3]) then redis.call('EXPIREAT', KEYS[1], expiresAt) end
return code
`;

/** Removes a lead's compacted record from every window; true when there was one. */
export async function removeCompacted(redis: RedisClient, prefix: string, id: string): Promise<boolean> {
  const windows = await statusWindows(redis, prefix);
  const pipeline = redis.pipeline();
  for (const window of windows) pipeline.hdel(statusBucketKey(prefix, window, id), ...BOTH_PIECE_FIELDS(id));
  const replies = (await pipeline.exec()) ?? [];
  return replies.some(([err, reply]) => {
    if (err) throw err;
    return (reply as number) > 0;
  });
}

/**
 * The pending leads delivered before ARGV[1] (ms), at most ARGV[2], taken off the list: each is
 * compacted by whoever took it, so two workers never do the same one (a worker that dies meanwhile
 * leaves its leads' records whole, as they were before compaction existed).
 */
const TAKE_SCRIPT = `
local out, cutoff = {}, tonumber(ARGV[1])
for i = 1, tonumber(ARGV[2]) do
  local entry = redis.call('LINDEX', KEYS[1], 0)
  if not entry then break end
  local at = tonumber(string.match(entry, '^(%d+) '))
  if at and at > cutoff then break end
  redis.call('LPOP', KEYS[1])
  out[#out + 1] = entry
end
return out
`;

/**
 * One record into its bucket, if it still is what was encoded (its updatedAt, ARGV[1], and status
 * delivered): the pieces (ARGV[6..]) under the lead id (ARGV[5]), the bucket's expiry (ARGV[2], unix
 * s), the window (ARGV[3]) listed until then, and the record deleted.
 */
const COMPACT_SCRIPT = `
local h = redis.call('HMGET', KEYS[1], 'updatedAt', 'status')
if h[1] ~= ARGV[1] or h[2] ~= 'delivered' then return 0 end
for i = 6, #ARGV do
  local field = ARGV[5]
  if i > 6 then field = field .. ':' .. (i - 6) end
  redis.call('HSET', KEYS[2], field, ARGV[i])
end
local expiresAt, now = tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('EXPIREAT', KEYS[2], expiresAt)
redis.call('ZADD', KEYS[3], expiresAt, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)
if redis.call('TTL', KEYS[3]) < expiresAt - now then redis.call('EXPIREAT', KEYS[3], expiresAt) end
redis.call('DEL', KEYS[1])
return 1
`;

export interface CompactionResult {
  /** Records moved into the shared buckets. */
  compacted: number;
  /** Taken off the pending list but left whole: written since, not delivered, or not encodable. */
  kept: number;
}

/**
 * Compacts the records of leads delivered at least `graceMs` ago, `batch` at a time, until none is
 * left that old. The grace lets the writes that follow a delivery (the portal's conversion, the late
 * duplicate check) find the whole record; a write that comes later still works: it makes a record of
 * its own again, which readers lay over the compacted one.
 */
export async function compactDelivered(redis: RedisClient, prefix: string, retentionSeconds: number, options: { graceMs: number; batch?: number; nowMs?: number }): Promise<CompactionResult> {
  const result: CompactionResult = { compacted: 0, kept: 0 };
  const batch = options.batch ?? 500;
  for (;;) {
    const now = options.nowMs ?? Date.now();
    const entries = (await redis.eval(TAKE_SCRIPT, 1, statusPendingKey(prefix), String(now - options.graceMs), String(batch))) as string[];
    if (entries.length === 0) return result;
    const ids = entries.map((e) => e.slice(e.indexOf(' ') + 1));
    const read = redis.pipeline();
    for (const id of ids) read.hgetall(`${prefix}:lead:${id}`);
    const records = ((await read.exec()) ?? []).map(([err, reply]) => (err ? {} : (reply as Record<string, string>)));
    const { start, expiresAt } = statusWindow(retentionSeconds, now);
    // The code of each pair these records name (names that could not be told apart again keep their names).
    const pairOf = (r: Record<string, string>): string | undefined => (r.status === 'delivered' && !`${r.destination ?? ''}`.includes(SEP) ? `${r.destination ?? ''}${SEP}${r.source ?? ''}` : undefined);
    const wanted = [...new Set(records.map(pairOf).filter((p): p is string => p !== undefined))];
    const coding = redis.pipeline();
    for (const pair of wanted) coding.eval(PAIR_SCRIPT, 1, statusPairsKey(prefix), pair, String(expiresAt), String(Math.floor(now / 1000)));
    const codes = new Map<string, string>();
    ((await coding.exec()) ?? []).forEach(([err, reply], i) => {
      if (err) throw err;
      codes.set(wanted[i]!, String(reply));
    });
    const write = redis.pipeline();
    let writes = 0;
    ids.forEach((id, i) => {
      const record = records[i]!;
      const pair = pairOf(record);
      const value = encodeStatus(record, id, pair === undefined ? undefined : codes.get(pair));
      const pieces = value === undefined ? [] : cut(value);
      if (value === undefined || pieces.length > MAX_PIECES) {
        result.kept += 1;
        return;
      }
      write.eval(COMPACT_SCRIPT, 3, `${prefix}:lead:${id}`, statusBucketKey(prefix, start, id), statusWindowsKey(prefix), record.updatedAt!, String(expiresAt), String(start), String(Math.floor(now / 1000)), compactLeadId(id), ...pieces);
      writes += 1;
    });
    if (writes > 0) {
      for (const [err, reply] of (await write.exec()) ?? []) {
        if (err) throw err;
        if (reply === 1) result.compacted += 1;
        else result.kept += 1;
      }
    }
    if (entries.length < batch) return result;
  }
}

/** Takes a lead off the list of records to compact (an erasure: the list names it). */
export async function removePending(redis: RedisClient, prefix: string, id: string): Promise<number> {
  const key = statusPendingKey(prefix);
  const entries = (await redis.lrange(key, 0, -1)).filter((e) => e.slice(e.indexOf(' ') + 1) === id);
  let removed = 0;
  for (const entry of entries) removed += await redis.lrem(key, 0, entry);
  return removed;
}

export interface StatusCompactor {
  /** Runs one pass now (the timer's next one still follows); resolves with what it did. */
  runOnce(): Promise<CompactionResult>;
  stop(): Promise<void>;
}

/**
 * The worker's compaction, every `intervalMs`: one pass at a time; a failed pass (Redis away) is
 * logged and the leads it had taken keep their whole records.
 */
export function startStatusCompactor(deps: {
  redis: RedisClient;
  prefix: string;
  retentionSeconds: number;
  graceMs: number;
  intervalMs?: number;
  onError: (err: Error) => void;
}): StatusCompactor {
  let running: Promise<CompactionResult> | undefined;
  const runOnce = (): Promise<CompactionResult> => {
    running ??= compactDelivered(deps.redis, deps.prefix, deps.retentionSeconds, { graceMs: deps.graceMs }).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch(deps.onError);
  }, deps.intervalMs ?? 60_000);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
