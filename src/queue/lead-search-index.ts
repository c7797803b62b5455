import type { ChainableCommander } from 'ioredis';
import type { LeadSourceKind } from '../lead/lead';
import type { RedisClient } from '../shared/redis-client';
import { walkSortedSets, type WalkCursor, type WalkPage } from './sorted-set-walk';

/** The ledger's statuses (LeadStatus; spelled out here because the ledger writes this index). */
export type LeadStatus = 'queued' | 'retrying' | 'delivered' | 'dead';
export const LEAD_STATUSES: readonly LeadStatus[] = ['queued', 'retrying', 'delivered', 'dead'];

/**
 * The console's lead search: sorted sets of lead ids scored by received time. Each lead is in ONE set
 * for where it came from and went to, `<prefix>:search:sd:<destination>:<source>` (a destination
 * name has no colon), and, until delivered, in its status set `…:status:<status>` (queued, retrying,
 * dead: a delivered lead is in none of them). `…:search:dims` lists the sets that exist (`sd:…`) and
 * the sources and destinations seen (`source:…`, `dest:…`, the filter's choices). A filter by source
 * is the union of that source's sets, by destination the union of that destination's.
 *
 * One set per (destination, source) and not one per source plus one per destination: every lead is
 * then one entry, not two, in the sets it keeps for `statusRetentionSeconds` (~120 bytes each once a
 * set outgrows Redis's compact encoding). Versions before wrote `…:source:<source>` and
 * `…:dest:<destination>`; those sets are still searched (and the lead's status changes still find
 * its score there) until they expire.
 *
 * No personal data: contacts are found through the contact index, partner and platform references
 * through the ids derived from them. Every set is trimmed to `statusRetentionSeconds` by received
 * time when written, and expires that long after its last write.
 */
export function searchKey(prefix: string, dimension: 'status' | 'source' | 'dest' | 'sd', value: string): string {
  return `${prefix}:search:${dimension}:${value}`;
}

/** The set of leads from `source` to `destination`. */
export function pairKey(prefix: string, destination: string, source: string): string {
  return searchKey(prefix, 'sd', `${destination}:${source}`);
}

export function dimsKey(prefix: string): string {
  return `${prefix}:search:dims`;
}

/**
 * Reads the lead's status record (written just before, in the same MULTI) and files the lead under
 * it: its source and destination when it is recorded as received (ARGV[3] = received ms), and its
 * status set every time (none when delivered), out of every other status set. A status change knows no received time: it
 * takes the score the destination set holds, and does nothing for a lead indexed before the index
 * existed (or already trimmed).
 */
export const INDEX_SCRIPT = `
local h = redis.call('HMGET', KEYS[1], 'status', 'source', 'destination')
local status, source, dest = h[1], h[2], h[3]
if not status or not dest then return 0 end
local p, id, ttl = ARGV[1], ARGV[2], tonumber(ARGV[4])
local floor = string.format('(%.0f', tonumber(ARGV[5]) - ttl * 1000)
local function put(key, score)
  redis.call('ZADD', key, score, id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', floor)
  redis.call('EXPIRE', key, ttl)
end
source = source or ''
local pairKey = p .. ':search:sd:' .. dest .. ':' .. source
local score = ARGV[3]
if score ~= '' then
  put(pairKey, score)
  redis.call('SADD', KEYS[2], 'sd:' .. dest .. ':' .. source, 'dest:' .. dest)
  if source ~= '' then redis.call('SADD', KEYS[2], 'source:' .. source) end
  redis.call('EXPIRE', KEYS[2], ttl)
else
  score = redis.call('ZSCORE', pairKey, id)
  if not score then score = redis.call('ZSCORE', p .. ':search:dest:' .. dest, id) end
  if not score then return 0 end
end
for _, s in ipairs({ 'queued', 'retrying', 'dead' }) do
  local key = p .. ':search:status:' .. s
  if s == status then put(key, score) else redis.call('ZREM', key, id) end
end
return 1
`;

/** Most leads end delivered: they are the ones in no other status set, which saves a third of the index. */
const STORED_STATUSES: readonly LeadStatus[] = ['queued', 'retrying', 'dead'];

const REMOVE_SCRIPT = `
for _, dim in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('ZREM', ARGV[1] .. ':search:' .. dim, ARGV[2]) end
for _, s in ipairs({ 'queued', 'retrying', 'delivered', 'dead' }) do redis.call('ZREM', ARGV[1] .. ':search:status:' .. s, ARGV[2]) end
return 1
`;

const COMMAND = 'leadgateSearchIndex';

/** Defines the index script on a connection (once): pipelines made on it run it by EVALSHA. */
export function defineLeadSearchCommand(redis: RedisClient): void {
  const defined = (redis as unknown as { scriptsSet?: Record<string, unknown> }).scriptsSet;
  if (!defined?.[COMMAND]) redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: INDEX_SCRIPT });
}

/**
 * Adds the index write to the MULTI or pipeline that writes the status record, so a lead is
 * searchable exactly when its record says what it is, with no round trip of its own. `receivedAt`
 * when the lead is recorded as received; without it only the status set changes. `evalsha` (the
 * intake's pipeline) sends the script's hash once the connection has it; ioredis resends it when Redis
 * lost it, which it cannot do inside a MULTI, so a MULTI sends the script itself (`eval`).
 */
export function indexLeadStatus(multi: ChainableCommander, prefix: string, id: string, retentionSeconds: number, options: { receivedAt?: string; script?: 'eval' | 'evalsha' } = {}): ChainableCommander {
  const args = indexScriptArgs(prefix, id, retentionSeconds, options.receivedAt);
  const defined = (multi as unknown as Record<string, ((...a: string[]) => ChainableCommander) | undefined>)[COMMAND];
  return options.script === 'evalsha' && defined ? defined.apply(multi, args) : multi.eval(INDEX_SCRIPT, 2, ...args);
}

/**
 * INDEX_SCRIPT's two keys and five arguments, for a script that runs it after writes of its own (the
 * ledger's queued record); its own arguments follow these.
 */
export function indexScriptArgs(prefix: string, id: string, retentionSeconds: number, receivedAt?: string): [string, string, string, string, string, string, string] {
  const received = receivedAt ? Date.parse(receivedAt) : NaN;
  return [`${prefix}:lead:${id}`, dimsKey(prefix), prefix, id, Number.isFinite(received) ? String(received) : '', String(retentionSeconds), String(Date.now())];
}

export interface LeadSearchFilter {
  status?: LeadStatus;
  /** Every source of one kind (website forms, Meta, Google, partners). */
  kind?: LeadSourceKind;
  /** One source as status records name it: `form:contact`, `partner:acme`, `meta:<page id>`, `google:<form id>`. */
  source?: string;
  destination?: string;
  /** Received from (inclusive) and until (exclusive), ms. */
  from?: number;
  to?: number;
}

export class LeadSearchIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

  /** The sources and destinations leads were indexed under, for the filter's choices. */
  async dimensions(): Promise<{ sources: string[]; destinations: string[] }> {
    const { sources, destinations } = await this.sets();
    return { sources, destinations };
  }

  /** The filter's choices, and the (destination, source) sets that exist. */
  private async sets(): Promise<{ sources: string[]; destinations: string[]; pairs: Array<{ destination: string; source: string; key: string }> }> {
    const dims = await this.redis.smembers(dimsKey(this.prefix));
    const of = (kind: string) => dims.filter((d) => d.startsWith(`${kind}:`)).map((d) => d.slice(kind.length + 1)).sort();
    const pairs = of('sd').map((pair) => {
      const colon = pair.indexOf(':');
      const destination = pair.slice(0, colon);
      const source = pair.slice(colon + 1);
      return { destination, source, key: pairKey(this.prefix, destination, source) };
    });
    return { sources: of('source'), destinations: of('dest'), pairs };
  }

  /** Newest first; `limit` per page, and at most `budget` index entries looked at per call. */
  async search(filter: LeadSearchFilter, options: { cursor?: WalkCursor; limit: number; budget?: number }): Promise<WalkPage> {
    const { sources, destinations, pairs } = await this.sets();
    const dimensions: string[][] = [];
    const delivered = filter.status === 'delivered';
    // A source's leads: its (destination, source) sets, and the set an earlier version kept for it.
    const ofSources = (wanted: string[]) => [
      ...pairs.filter((p) => wanted.includes(p.source)).map((p) => p.key),
      ...wanted.map((s) => searchKey(this.prefix, 'source', s)),
    ];
    if (filter.status && !delivered) dimensions.push([searchKey(this.prefix, 'status', filter.status)]);
    if (filter.source) dimensions.push(ofSources([filter.source]));
    if (filter.kind) dimensions.push(ofSources(sources.filter((s) => s.startsWith(`${filter.kind}:`))));
    if (filter.destination) {
      dimensions.push([...pairs.filter((p) => p.destination === filter.destination).map((p) => p.key), searchKey(this.prefix, 'dest', filter.destination)]);
    }
    // Every lead is in one (destination, source) set (or an earlier version's destination set).
    if (dimensions.length === 0) dimensions.push([...pairs.map((p) => p.key), ...destinations.map((d) => searchKey(this.prefix, 'dest', d))]);
    const floor = Date.now() - this.retentionSeconds * 1000;
    return walkSortedSets(this.redis, {
      dimensions,
      min: Math.max(filter.from ?? 0, floor),
      max: (filter.to ?? 8.64e15) - 1,
      ...(options.cursor ? { cursor: options.cursor } : {}),
      limit: options.limit,
      budget: options.budget ?? 50_000,
      ...(delivered ? { exclude: STORED_STATUSES.map((status) => searchKey(this.prefix, 'status', status)) } : {}),
    });
  }

  /** `leadgate forget`: the lead leaves every set (ids only, but nothing of a forgotten lead stays). */
  async remove(id: string): Promise<void> {
    await this.redis.eval(REMOVE_SCRIPT, 1, dimsKey(this.prefix), this.prefix, id);
  }
}
