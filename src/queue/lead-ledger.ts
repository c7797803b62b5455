import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../shared/redis-client';
import { ReplicaWait } from './replica-wait';
import type { Lead } from '../lead/lead';
import { leadContacts, normalisedContactHash } from '../lead/contact-key';
import { conversionIdentity, type ConversionIdentity } from '../lead/conversion-identity';
import { contactBucketFieldOf, contactBucketName, contactIndexSinceKey, contactIndexWindow } from './contact-index';
import { compactLeadId } from './compact-id';
import type { IntakeCommands } from './intake-write';
import { CONVERSION_FIELD, encodeConversion, readCompacted, recordConversionJson } from './status-buckets';
import { MicroBatcher } from '../shared/micro-batcher';
import { parseMs } from '../shared/iso-time';
import { defineLeadSearchCommand, dimsKey, INDEX_SCRIPT, indexLeadStatus, indexScriptArgs } from './lead-search-index';

export type LeadStatus = 'queued' | 'retrying' | 'delivered' | 'dead';

export interface DeliveryAttempt {
  at: string;
  outcome: 'delivered' | 'reconciled' | 'retry' | 'throttled' | 'paused' | 'dead' | 'duplicates_removed';
  code?: string;
  message?: string;
}

export interface LeadRecord {
  id: string;
  status: LeadStatus;
  source: string;
  /** The platform's or partner's own id for the lead (Meta leadgen_id, Google lead_id, partner external_ref). */
  externalId?: string;
  destination: string;
  receivedAt: string;
  updatedAt: string;
  /** The Bitrix24 lead; absent on an `entity: deal` destination, where crm.dealId and crm.contactId say what was made. */
  bitrixLeadId?: number;
  /** `deal` when the destination creates a contact and a deal instead of a lead. */
  entity?: 'deal';
  /** ASSIGNED_BY_ID chosen for the lead (assignment pools). */
  assignedTo?: number;
  attempts: number;
  lastError?: string;
  history: DeliveryAttempt[];
  /** What the lead became in Bitrix24 (a converting portal) or the open lead it was added to (`update`). */
  crm?: CrmOutcome;
}

export interface CrmOutcome {
  dealId?: number;
  contactId?: number;
  companyId?: number;
  /** The timeline comment that carried the submission (duplicates action `update`); bitrixLeadId is the lead commented on. */
  commentId?: number;
}

const CRM_FIELDS = { dealId: 'crmDealId', contactId: 'crmContactId', companyId: 'crmCompanyId', commentId: 'crmCommentId' } as const;

const MAX_HISTORY = 50;

/**
 * Leads just queued (every lead of one intake group commit), in one script call: for each, its
 * contact-index entries and its status record (HSETNX: a lead queued again under its id, a retry,
 * keeps the status a worker recorded); then the search index for them all, a set written once for
 * all its leads (one ZADD, one trim, one EXPIRE) rather than once per lead as INDEX_SCRIPT does for a
 * single status change. On this 2-core machine Redis shares the cores with the API, and the
 * per-lead form of this script cost Redis ~72 µs a lead: a third of all Redis did per post.
 *
 * KEYS[1] the search dimensions set. ARGV[1] prefix, ARGV[2] retention (s), ARGV[3] now (ms),
 * ARGV[4] the contact window, ARGV[5] when its buckets expire (unix s), ARGV[6] now as the records'
 * updatedAt, ARGV[7] the upkeep due (Upkeep: `w` file the contact window, `t` trim the search sets,
 * `d` file the leads' search dimensions); then per lead: id, received (ms, or '' when unknown), source, destination (the record's
 * fields of those names too), the number of contact entries and each as its bucket (contactBucketName) and entry
 * (contact-index.ts), the number of the record's other field items and the items.
 */
const RECORD_QUEUED_SCRIPT = `
local p, ttl, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local window, expiresAt, updatedAt = ARGV[4], tonumber(ARGV[5]), ARGV[6]
local fileWindow = string.find(ARGV[7], 'w', 1, true) ~= nil
local trim = string.find(ARGV[7], 't', 1, true) ~= nil
local fileDims = string.find(ARGV[7], 'd', 1, true) ~= nil
local floor = string.format('(%.0f', now - ttl * 1000)
local STATUSES = { 'queued', 'retrying', 'dead' }
local members, order, dims = {}, {}, {}
local contactPrefix = p .. ':contacts:' .. window .. ':'
local expired = {}
local queuedKey = p .. ':search:status:queued'
local function file(key, score, id)
  local set = members[key]
  if not set then
    set = {}
    members[key] = set
    order[#order + 1] = key
  end
  set[#set + 1] = score
  set[#set + 1] = id
end
if fileWindow then
  local windows = p .. ':contacts:windows'
  redis.call('ZADD', windows, expiresAt, window)
  redis.call('ZREMRANGEBYSCORE', windows, '-inf', '(' .. (now / 1000))
  if redis.call('TTL', windows) < expiresAt - now / 1000 then redis.call('EXPIREAT', windows, expiresAt) end
end
local i = 8
while i <= #ARGV do
  local id, score, source, dest = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local contacts = tonumber(ARGV[i + 4])
  i = i + 5
  for c = 1, contacts do
    local bucket = contactPrefix .. ARGV[i]
    redis.call('RPUSH', bucket, ARGV[i + 1])
    -- Once per bucket and call: all its entries expire together.
    if not expired[bucket] then
      redis.call('EXPIREAT', bucket, expiresAt)
      expired[bucket] = true
    end
    i = i + 2
  end
  local items = tonumber(ARGV[i])
  local record = p .. ':lead:' .. id
  local fresh = redis.call('HSETNX', record, 'status', 'queued') == 1
  redis.call('HSET', record, 'source', source, 'destination', dest, 'updatedAt', updatedAt, unpack(ARGV, i + 1, i + items))
  redis.call('EXPIRE', record, ttl)
  i = i + items + 1
  local status = fresh and 'queued' or redis.call('HGET', record, 'status')
  local pairKey = p .. ':search:sd:' .. dest .. ':' .. source
  if score ~= '' then
    file(pairKey, score, id)
    if fileDims then
      dims['sd:' .. dest .. ':' .. source] = true
      dims['dest:' .. dest] = true
      if source ~= '' then dims['source:' .. source] = true end
    end
  else
    score = redis.call('ZSCORE', pairKey, id)
    if not score then score = redis.call('ZSCORE', p .. ':search:dest:' .. dest, id) end
  end
  if score and fresh then
    file(queuedKey, score, id)
  elseif score then
    for _, s in ipairs(STATUSES) do
      local key = p .. ':search:status:' .. s
      if s == status then file(key, score, id)
      else redis.call('ZREM', key, id) end
    end
  end
end
for _, key in ipairs(order) do
  redis.call('ZADD', key, unpack(members[key]))
  if trim then redis.call('ZREMRANGEBYSCORE', key, '-inf', floor) end
  -- Every time: a set its trim emptied is made again by ZADD, and must not be left without an expiry.
  redis.call('EXPIRE', key, ttl)
end
local named = {}
for member in pairs(dims) do named[#named + 1] = member end
if #named > 0 then
  redis.call('SADD', KEYS[1], unpack(named))
  redis.call('EXPIRE', KEYS[1], ttl)
end
return 1`;

const RECORD_QUEUED_COMMAND = 'leadgateRecordQueued';

/**
 * Redis keeps a small hash in its compact encoding (listpack, about half the size of a hash table)
 * only while every value is at most 64 bytes (`hash-max-listpack-value`): a longer value (a click
 * id's JSON, an error message) is stored in pieces of at most 64 bytes, `<name>`, `<name>:1`, …,
 * cut between characters.
 */
const PIECE = 64;
const MAX_PIECES = 16;

/** Fields to set and to delete (pieces a longer earlier value left) for one value. */
function pieces(name: string, value: string): { set: Record<string, string>; del: string[] } {
  const cut = cutBytes(value);
  const set: Record<string, string> = {};
  const del: string[] = [];
  // The last piece takes whatever is left: nothing is cut off, it only costs the compact encoding.
  const kept = [...cut.slice(0, MAX_PIECES - 1), ...(cut.length >= MAX_PIECES ? [cut.slice(MAX_PIECES - 1).join('')] : [])];
  for (let i = 0; i < MAX_PIECES; i += 1) {
    if (i < kept.length || i === 0) set[pieceName(name, i)] = kept[i] ?? '';
    else del.push(pieceName(name, i));
  }
  return { set, del };
}

/** `value` in pieces of at most PIECE bytes of UTF-8, never inside a character. */
function cutBytes(value: string): string[] {
  const out: string[] = [];
  if (/^[\x00-\x7f]*$/.test(value)) {
    for (let i = 0; i < value.length; i += PIECE) out.push(value.slice(i, i + PIECE));
    return out;
  }
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
  if (piece) out.push(piece);
  return out;
}

function pieceName(name: string, i: number): string {
  return i === 0 ? name : `${name}:${i}`;
}

/** A value `pieces` stored, whole again (a record written before pieces has the whole value in `<name>`). */
function joined(hash: Record<string, string>, name: string): string | undefined {
  if (hash[name] === undefined) return undefined;
  let value = '';
  for (let i = 0; i < MAX_PIECES; i += 1) value += hash[pieceName(name, i)] ?? '';
  return value;
}

/**
 * One delivery attempt recorded. Most leads are delivered at their first attempt: that attempt is a
 * field of the status record (`attempt1`, a short JSON line), so a delivered lead keeps no history
 * list (a key of its own, ~260 bytes). Every later attempt, and a first one too long for the compact
 * encoding (then `attempt1` is empty), goes to the list `<record>:attempts`, trimmed to MAX_HISTORY
 * entries in all. A record whose list predates `attempt1` keeps using the list, so the order holds.
 */
/**
 * One attempt recorded in one script call (the worker's CPU per lead): the record's new fields
 * (pairs after the names to delete), the names deleted, the attempt itself (the first one a field of
 * the record, `attempt1`, so a lead delivered at once has no history list; later ones in the list
 * ARGV[6], the last ARGV[8] kept), the record's expiry and, when the status changed (ARGV[9] = '1'),
 * the lead on the list of records to compact once delivered (status-buckets.ts) and the search
 * index's own script on the record (KEYS and ARGV[1..5] are its arguments).
 */
const RECORD_ATTEMPT_SCRIPT = `
local ndel = tonumber(ARGV[10])
redis.call('HSET', KEYS[1], unpack(ARGV, 11 + ndel))
if ndel > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 11, 10 + ndel)) end
local entry, history = ARGV[7], ARGV[6]
local first = redis.call('HGET', KEYS[1], 'attempt1')
if not first and #entry <= ${PIECE} and redis.call('EXISTS', history) == 0 then
  redis.call('HSET', KEYS[1], 'attempt1', entry)
else
  if not first then
    redis.call('HSET', KEYS[1], 'attempt1', '')
    first = ''
  end
  redis.call('RPUSH', history, entry)
  local keep = tonumber(ARGV[8])
  if first ~= '' then keep = keep - 1 end
  redis.call('LTRIM', history, -keep, -1)
  redis.call('EXPIRE', history, ARGV[4])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
if ARGV[9] ~= '1' then return 1 end
if redis.call('HGET', KEYS[1], 'status') == 'delivered' then
  local pending = ARGV[1] .. ':status:pending'
  redis.call('RPUSH', pending, ARGV[5] .. ' ' .. ARGV[2])
  redis.call('EXPIRE', pending, ARGV[4])
end
${INDEX_SCRIPT}`;

const RECORD_ATTEMPT_COMMAND = 'leadgateRecordAttempt';

/**
 * Each lead's delivery status, kept in Redis apart from the BullMQ job so it outlives job cleanup and
 * can be read by any API process. The `unsure` flag is written before every send and cleared by a
 * definite answer: a lead that carries it on its next attempt may already exist in Bitrix24.
 */
/** What a worker reads before sending a lead: delivered already (and as what), or maybe sent before. */
export interface DeliveryState {
  deliveredAs?: number;
  unsure: boolean;
}

/** How often one process files what rarely changes, and trims the search sets (see Upkeep). */
export const UPKEEP_MS = 60_000;

/**
 * What the record script does for the index's upkeep rather than for the leads themselves, asked for
 * only when this process has not done it within UPKEEP_MS: filing the contact window (the same window
 * for an hour or more), trimming the search sets of entries past the retention, and filing the search
 * dimensions (a destination and source pair is new once). Each was a call or three in every script
 * call: on this 2-core machine ~20 µs of Redis per group commit, paid per lead when commits are small.
 * Should Redis lose a window's entry or a dimension (a flush, a failover that lost writes), the next
 * upkeep, within UPKEEP_MS, files it again.
 */
class Upkeep {
  private window = '';
  private windowAt = -Infinity;
  private trimmedAt = -Infinity;
  private readonly dims = new Map<string, number>();

  /** The flags for one script call at `now` (ms), noting them as done. */
  due(now: number, window: string, dims: readonly string[]): string {
    let flags = '';
    if (window !== this.window || now - this.windowAt >= UPKEEP_MS) {
      flags += 'w';
      this.window = window;
      this.windowAt = now;
    }
    if (now - this.trimmedAt >= UPKEEP_MS) {
      flags += 't';
      this.trimmedAt = now;
    }
    if (dims.some((dim) => !(now - (this.dims.get(dim) ?? -Infinity) < UPKEEP_MS))) {
      flags += 'd';
      if (this.dims.size > 10_000) this.dims.clear();
      for (const dim of dims) this.dims.set(dim, now);
    }
    return flags;
  }
}

/** deliveryState reads gathered into one pipeline at most (a batch's worth of jobs, and some). */
const MAX_STATE_READS = 100;

export class LeadLedger {
  private readonly replicas: ReplicaWait;
  private indexSinceWritten = false;
  private readonly upkeep = new Upkeep();

  private stateReads: MicroBatcher<string, DeliveryState> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
    /** Replicas that must hold the unsure mark before a send (`redis.waitReplicas`): it then survives a failover. */
    waitReplicas: { replicas: number; timeoutMs: number } = { replicas: 0, timeoutMs: 0 },
  ) {
    this.replicas = new ReplicaWait(redis, { ...waitReplicas, slotKey: prefix });
    defineLeadSearchCommand(redis);
    const defined = (redis as unknown as { scriptsSet?: Record<string, unknown> }).scriptsSet;
    if (!defined?.[RECORD_QUEUED_COMMAND]) redis.defineCommand(RECORD_QUEUED_COMMAND, { numberOfKeys: 1, lua: RECORD_QUEUED_SCRIPT });
    if (!defined?.[RECORD_ATTEMPT_COMMAND]) redis.defineCommand(RECORD_ATTEMPT_COMMAND, { numberOfKeys: 2, lua: RECORD_ATTEMPT_SCRIPT });
  }

  private key(id: string): string {
    return `${this.prefix}:lead:${id}`;
  }

  private historyKey(id: string): string {
    return `${this.prefix}:lead:${id}:attempts`;
  }

  /** The status record of a lead just queued and its contact-index entries, run on its own (a Meta lead fetched by a worker). */
  async recordQueued(lead: Lead): Promise<void> {
    const multi = this.redis.multi();
    this.queued(multi, [lead], 'eval');
    await multi.exec();
  }

  /**
   * The commands of `recordQueued` for every lead of one intake group commit (IntakeWrite): the
   * status records, and who each lead is about, hashed, for `leadgate forget` (kept as long as the
   * status record), and the search index, in one script call.
   */
  readonly queuedCommands: IntakeCommands = (pipeline, leads) => this.queued(pipeline, leads, 'evalsha');

  private queued(multi: ChainableCommander, leads: readonly Lead[], script: 'eval' | 'evalsha'): void {
    // Once per process is enough: the key never expires, and NX keeps the first date.
    if (!this.indexSinceWritten) {
      multi.set(contactIndexSinceKey(this.prefix), new Date().toISOString(), 'NX');
      this.indexSinceWritten = true;
    }
    const now = Date.now();
    const window = contactIndexWindow(this.retentionSeconds, now);
    const updatedAt = new Date(now).toISOString();
    const args: string[] = [dimsKey(this.prefix), this.prefix, String(this.retentionSeconds), String(now), String(window.start), String(window.expiresAt), updatedAt, ''];
    const dims: string[] = [];
    for (const lead of leads) {
      const source = `${lead.source.kind}:${lead.source.name}`;
      const received = parseMs(lead.receivedAt);
      if (Number.isFinite(received)) dims.push(`${lead.destination}\n${source}`);
      args.push(lead.id, Number.isFinite(received) ? String(received) : '', source, lead.destination);
      const contacts = leadContacts(lead.fields).map(normalisedContactHash);
      args.push(String(contacts.length));
      const compactId = contacts.length > 0 ? compactLeadId(lead.id) : '';
      for (const hash of contacts) args.push(contactBucketName(hash), contactBucketFieldOf(hash, compactId));
      const fields = ['receivedAt', lead.receivedAt];
      if (lead.source.externalId) fields.push('externalId', lead.source.externalId);
      // No contact hashes in the record (~170 bytes a lead): `forget` takes them from the lead (its job or
      // dead letter), else finds the lead's index entries by its id. Earlier versions' records list them.
      // What Meta and Google need to hear of this lead again when Bitrix24 reports its progress.
      const identity = conversionIdentity(lead);
      if (identity) {
        // In a few characters (`cv`, as a compacted record keeps it: the JSON's ~100 bytes take the record
        // out of a jemalloc size class), else as the JSON in pieces, which every version reads.
        const json = JSON.stringify(identity);
        const compact = encodeConversion(json, received, lead.source.externalId, identity);
        if (compact !== undefined && Buffer.byteLength(compact) <= PIECE) fields.push(CONVERSION_FIELD, compact);
        else for (const [name, value] of Object.entries(pieces('conversionIds', json).set)) fields.push(name, value);
      }
      args.push(String(fields.length), ...fields);
    }
    args[7] = this.upkeep.due(now, String(window.start), dims);
    const defined = (multi as unknown as Record<string, ((...a: string[]) => ChainableCommander) | undefined>)[RECORD_QUEUED_COMMAND];
    // The script's hash in the intake's pipeline (ioredis resends the script if Redis lost it); inside a MULTI it cannot, so the script itself.
    if (script === 'evalsha' && defined) defined.apply(multi, args);
    else multi.eval(RECORD_QUEUED_SCRIPT, 1, ...args);
  }

  /** Replay: the lead is queued again whatever it was before; its history stays. */
  async recordRequeued(id: string): Promise<void> {
    const multi = this.redis.multi().hset(this.key(id), { status: 'queued', updatedAt: new Date().toISOString() }).expire(this.key(id), this.retentionSeconds);
    await indexLeadStatus(multi, this.prefix, id, this.retentionSeconds).exec();
  }

  /** What the worker must know before it sends: delivered already (never send again), or maybe created. */
  /**
   * Whether the lead was delivered (and as what) and whether an attempt may have reached the portal.
   * Reads asked for within the same millisecond go to Redis in one pipeline: a batch answer completes
   * 50 jobs at once, and the 50 jobs taken next each start with this read (one round trip, not 50).
   */
  deliveryState(id: string): Promise<DeliveryState> {
    this.stateReads ??= new MicroBatcher<string, DeliveryState>(MAX_STATE_READS, 0, async (ids) => {
      const states = await this.deliveryStates(ids);
      return ids.map((one) => states.get(one)!);
    });
    return this.stateReads.add(id);
  }

  /** deliveryState of several leads in one pipeline (and one more for those compacted). */
  async deliveryStates(ids: string[]): Promise<Map<string, DeliveryState>> {
    const states = new Map<string, DeliveryState>();
    if (ids.length === 0) return states;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.key(id), 'status', 'bitrixLeadId', 'unsure');
    const replies = (await pipeline.exec()) ?? [];
    const records = ids.map((id, i) => {
      const [err, reply] = replies[i] ?? [new Error('no reply in the pipeline')];
      if (err) throw err;
      const [status = null, bitrixLeadId = null, unsure = null] = reply as Array<string | null>;
      return { id, status, bitrixLeadId, unsure };
    });
    // No record of its own: delivered a while ago and compacted, or expired.
    const missing = records.filter((r) => !r.status).map((r) => r.id);
    const compacted = missing.length > 0 ? await readCompacted(this.redis, this.prefix, missing) : undefined;
    for (const r of records) {
      const { status = null, bitrixLeadId = null } = r.status ? r : (compacted?.get(r.id) ?? {});
      const delivered = status === 'delivered' && bitrixLeadId ? Number(bitrixLeadId) : undefined;
      states.set(r.id, { ...(delivered ? { deliveredAs: delivered } : {}), unsure: r.unsure === '1' });
    }
    return states;
  }

  async markUnsure(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hset(this.key(id), 'unsure', '1').expire(this.key(id), this.retentionSeconds);
    const results = (await pipeline.exec()) ?? [];
    // The mark is write-ahead: a send without it could not be reconciled after a crash.
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    // A mark lost in a failover would let the next attempt create the lead again without looking first.
    await this.replicas.confirm();
  }

  /** A late commit doubled the lead: the first one created is kept, the later copies were deleted. */
  async recordDuplicatesRemoved(id: string, keptId: number, removedIds: number[], deal?: DealMade): Promise<void> {
    await this.append(id, { outcome: 'duplicates_removed', message: `kept ${keptId}, deleted ${removedIds.join(', ')}` }, { bitrixLeadId: String(keptId), ...dealFields(keptId, deal) });
  }

  /**
   * `bitrixLeadId` is what was created (on a deal destination the deal, recorded as crm.dealId too,
   * with its contact): written together with the status, so the record never shows one without the other.
   */
  async recordDelivered(id: string, bitrixLeadId: number, reconciled: boolean, deal?: DealMade): Promise<void> {
    await this.append(id, { outcome: reconciled ? 'reconciled' : 'delivered' }, {
      status: 'delivered',
      bitrixLeadId: String(bitrixLeadId),
      ...dealFields(bitrixLeadId, deal),
    // Not unsure any more: an absent mark reads as '0' and costs the record nothing.
    }, ['unsure']);
  }

  async recordFailure(
    id: string,
    attempt: Omit<DeliveryAttempt, 'at'>,
    state: { status: LeadStatus; unsure: boolean },
  ): Promise<void> {
    const lastError = pieces('lastError', attempt.message ?? attempt.code ?? 'unknown error');
    await this.append(id, attempt, { status: state.status, ...(state.unsure ? { unsure: '1' } : {}), ...lastError.set }, [...(state.unsure ? [] : ['unsure']), ...lastError.del]);
  }

  /**
   * The user this lead is assigned to: the first choice recorded wins, so a retry, a replay or a
   * second worker racing the first gives the lead to the same person.
   */
  async recordAssignee(id: string, userId: number): Promise<number> {
    const key = this.key(id);
    const [, [, stored] = []] = (await this.redis.multi().hsetnx(key, 'assignedTo', String(userId)).hget(key, 'assignedTo').expire(key, this.retentionSeconds).exec()) ?? [];
    return Number(stored ?? userId);
  }

  async assignee(id: string): Promise<number | undefined> {
    const stored = await this.redis.hget(this.key(id), 'assignedTo');
    return stored ? Number(stored) : undefined;
  }

  async recordCrmOutcome(id: string, outcome: CrmOutcome): Promise<void> {
    const fields = Object.fromEntries(Object.entries(outcome).map(([k, v]) => [CRM_FIELDS[k as keyof CrmOutcome], String(v)]));
    if (Object.keys(fields).length === 0) return;
    await this.redis.multi().hset(this.key(id), fields).expire(this.key(id), this.retentionSeconds).exec();
  }

  /** Returning customer: create a lead or comment on one; the first choice wins, so every retry follows it. */
  async decideReturning(id: string, decision: string): Promise<string> {
    const key = this.key(id);
    const replies = (await this.redis.multi().hsetnx(key, 'returning', decision).hget(key, 'returning').expire(key, this.retentionSeconds).exec()) ?? [];
    const stored = replies[1]?.[1];
    return typeof stored === 'string' ? stored : decision;
  }

  /** The Meta lead id and Google click a conversion of this lead is reported with (see conversionIdentity). */
  async conversionIdentity(id: string): Promise<{ identity?: ConversionIdentity; receivedAt: string } | undefined> {
    const hash = await this.withCompacted(id, await this.redis.hgetall(this.key(id)));
    if (!hash.status) return undefined;
    const raw = recordConversionJson(hash);
    return { receivedAt: hash.receivedAt ?? '', ...(raw ? { identity: JSON.parse(raw) as ConversionIdentity } : {}) };
  }

  async get(id: string): Promise<LeadRecord | undefined> {
    const [own, history] = await Promise.all([
      this.redis.hgetall(this.key(id)),
      this.redis.lrange(this.historyKey(id), 0, -1),
    ]);
    const hash = await this.withCompacted(id, own);
    if (!hash.status) return undefined;
    // A record written after compaction (a late duplicate check) starts its own first attempt: it follows the compacted one's.
    const earlier = own.status ? [] : [hash.compactedAttempt1 ?? ''];
    const attempts = [...earlier, hash.attempt1 ?? '', ...history].filter(Boolean).map((line) => JSON.parse(line) as DeliveryAttempt);
    return {
      id,
      status: hash.status as LeadStatus,
      source: hash.source ?? '',
      ...(hash.externalId ? { externalId: hash.externalId } : {}),
      destination: hash.destination ?? '',
      receivedAt: hash.receivedAt ?? '',
      updatedAt: hash.updatedAt ?? '',
      ...(hash.bitrixLeadId && hash.entity !== 'deal' ? { bitrixLeadId: Number(hash.bitrixLeadId) } : {}),
      ...(hash.entity === 'deal' ? { entity: 'deal' as const } : {}),
      ...(hash.assignedTo ? { assignedTo: Number(hash.assignedTo) } : {}),
      attempts: attempts.filter((a) => a.outcome !== 'throttled' && a.outcome !== 'paused').length,
      ...(hash.lastError ? { lastError: joined(hash, 'lastError') } : {}),
      history: attempts,
      ...crmOutcome(hash),
    };
  }

  /**
   * The record as the lead's own hash holds it or, when that has no status, its compacted record with
   * whatever was written to it since laid over it (status-buckets.ts).
   */
  private async withCompacted(id: string, own: Record<string, string> | null): Promise<Record<string, string>> {
    if (own?.status) return own;
    const compacted = (await readCompacted(this.redis, this.prefix, [id])).get(id);
    if (!compacted) return own ?? {};
    return { ...compacted, ...own, compactedAttempt1: compacted.attempt1 ?? '', attempt1: own?.attempt1 ?? '' };
  }

  /** One script call, by its hash (ioredis sends the script itself should Redis have lost it): atomic as a MULTI was. */
  private async append(id: string, attempt: Omit<DeliveryAttempt, 'at'>, fields: Record<string, string>, del: string[] = []): Promise<void> {
    const now = new Date().toISOString();
    const entry: DeliveryAttempt = { at: now, ...attempt };
    const pairs = Object.entries({ ...fields, updatedAt: now }).flat();
    const args = [
      ...indexScriptArgs(this.prefix, id, this.retentionSeconds),
      this.historyKey(id), JSON.stringify(entry), String(MAX_HISTORY),
      // A status change moves the lead between the search index's status sets, in the same script.
      fields.status ? '1' : '0',
      String(del.length), ...del, ...pairs,
    ];
    await (this.redis as unknown as Record<string, (...a: string[]) => Promise<unknown>>)[RECORD_ATTEMPT_COMMAND]!(...args);
  }
}

/** A deal destination made a deal (and linked or made its contact). */
export interface DealMade {
  contactId?: number;
}

function dealFields(dealId: number, deal: DealMade | undefined): Record<string, string> {
  if (!deal) return {};
  return { entity: 'deal', [CRM_FIELDS.dealId]: String(dealId), ...(deal.contactId !== undefined ? { [CRM_FIELDS.contactId]: String(deal.contactId) } : {}) };
}

function crmOutcome(hash: Record<string, string>): { crm?: CrmOutcome } {
  const crm: CrmOutcome = {};
  for (const [name, field] of Object.entries(CRM_FIELDS)) if (hash[field]) crm[name as keyof CrmOutcome] = Number(hash[field]);
  return Object.keys(crm).length > 0 ? { crm } : {};
}
