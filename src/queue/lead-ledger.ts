import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../shared/redis-client';
import { ReplicaWait } from './replica-wait';
import type { Lead } from '../lead/lead';
import { leadContacts, normalisedContactHash } from '../lead/contact-key';
import { conversionIdentity, type ConversionIdentity } from '../lead/conversion-identity';
import { contactIndexKey, contactIndexSinceKey } from './contact-index';
import type { IntakeCommands } from './intake-write';
import { defineLeadSearchCommand, indexLeadStatus } from './lead-search-index';

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
 * Each lead's delivery status, kept in Redis apart from the BullMQ job so it outlives job cleanup and
 * can be read by any API process. The `unsure` flag is written before every send and cleared by a
 * definite answer: a lead that carries it on its next attempt may already exist in Bitrix24.
 */
export class LeadLedger {
  private readonly replicas: ReplicaWait;
  private indexSinceWritten = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
    /** Replicas that must hold the unsure mark before a send (`redis.waitReplicas`): it then survives a failover. */
    waitReplicas: { replicas: number; timeoutMs: number } = { replicas: 0, timeoutMs: 0 },
  ) {
    this.replicas = new ReplicaWait(redis, { ...waitReplicas, slotKey: prefix });
    defineLeadSearchCommand(redis);
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
    this.queued(multi, lead, 'eval');
    await multi.exec();
  }

  /**
   * The commands of `recordQueued`, for the intake's one MULTI (IntakeWrite): the status record,
   * and who the lead is about, hashed, for `leadgate forget` (kept as long as the status record).
   */
  readonly queuedCommands: IntakeCommands = (pipeline, lead) => this.queued(pipeline, lead, 'evalsha');

  private queued(multi: ChainableCommander, lead: Lead, script: 'eval' | 'evalsha'): void {
    const key = this.key(lead.id);
    const contacts = leadContacts(lead.fields).map(normalisedContactHash);
    for (const hash of contacts) multi.sadd(contactIndexKey(this.prefix, hash), lead.id).expire(contactIndexKey(this.prefix, hash), this.retentionSeconds);
    // Once per process is enough: the key never expires, and NX keeps the first date.
    if (!this.indexSinceWritten) {
      multi.set(contactIndexSinceKey(this.prefix), new Date().toISOString(), 'NX');
      this.indexSinceWritten = true;
    }
    const fields = [
      'source', `${lead.source.kind}:${lead.source.name}`,
      'destination', lead.destination,
      'receivedAt', lead.receivedAt,
      'updatedAt', new Date().toISOString(),
    ];
    if (lead.source.externalId) fields.push('externalId', lead.source.externalId);
    // The index entries to drop when the person is forgotten after the job itself is gone: one field
    // each (`contacts`, `contacts:1`, …), as a value over 64 bytes would turn Redis's compact encoding
    // of the whole hash (listpack) into a hash table of about twice the size.
    contacts.forEach((hash, i) => fields.push(i === 0 ? 'contacts' : `contacts:${i}`, hash));
    // What Meta and Google need to hear of this lead again when Bitrix24 reports its progress.
    const identity = conversionIdentity(lead);
    if (identity) fields.push('conversionIds', JSON.stringify(identity));
    multi
      // HSETNX: the lead may be queued again under its id (a retry) after a worker recorded its delivery.
      .hsetnx(key, 'status', 'queued')
      .hset(key, ...fields)
      .expire(key, this.retentionSeconds);
    // The console's search index, beside the status record: no round trip of its own.
    indexLeadStatus(multi, this.prefix, lead.id, this.retentionSeconds, { receivedAt: lead.receivedAt, script });
  }

  /** Replay: the lead is queued again whatever it was before; its history stays. */
  async recordRequeued(id: string): Promise<void> {
    const multi = this.redis.multi().hset(this.key(id), { status: 'queued', updatedAt: new Date().toISOString() }).expire(this.key(id), this.retentionSeconds);
    await indexLeadStatus(multi, this.prefix, id, this.retentionSeconds).exec();
  }

  /** What the worker must know before it sends: delivered already (never send again), or maybe created. */
  async deliveryState(id: string): Promise<{ deliveredAs?: number; unsure: boolean }> {
    const [status, bitrixLeadId, unsure] = await this.redis.hmget(this.key(id), 'status', 'bitrixLeadId', 'unsure');
    const delivered = status === 'delivered' && bitrixLeadId ? Number(bitrixLeadId) : undefined;
    return { ...(delivered ? { deliveredAs: delivered } : {}), unsure: unsure === '1' };
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
      unsure: '0',
      ...dealFields(bitrixLeadId, deal),
    });
  }

  async recordFailure(
    id: string,
    attempt: Omit<DeliveryAttempt, 'at'>,
    state: { status: LeadStatus; unsure: boolean },
  ): Promise<void> {
    await this.append(id, attempt, {
      status: state.status,
      unsure: state.unsure ? '1' : '0',
      lastError: attempt.message ?? attempt.code ?? 'unknown error',
    });
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
    const [status, receivedAt, raw] = await this.redis.hmget(this.key(id), 'status', 'receivedAt', 'conversionIds');
    if (!status) return undefined;
    return { receivedAt: receivedAt ?? '', ...(raw ? { identity: JSON.parse(raw) as ConversionIdentity } : {}) };
  }

  async get(id: string): Promise<LeadRecord | undefined> {
    const [hash, history] = await Promise.all([
      this.redis.hgetall(this.key(id)),
      this.redis.lrange(this.historyKey(id), 0, -1),
    ]);
    if (!hash || !hash.status) return undefined;
    const attempts = history.map((line) => JSON.parse(line) as DeliveryAttempt);
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
      ...(hash.lastError ? { lastError: hash.lastError } : {}),
      history: attempts,
      ...crmOutcome(hash),
    };
  }

  private async append(id: string, attempt: Omit<DeliveryAttempt, 'at'>, fields: Record<string, string>): Promise<void> {
    const now = new Date().toISOString();
    const entry: DeliveryAttempt = { at: now, ...attempt };
    const multi = this.redis
      .multi()
      .hset(this.key(id), { ...fields, updatedAt: now })
      .rpush(this.historyKey(id), JSON.stringify(entry))
      .ltrim(this.historyKey(id), -MAX_HISTORY, -1)
      .expire(this.key(id), this.retentionSeconds)
      .expire(this.historyKey(id), this.retentionSeconds);
    // A status change moves the lead between the search index's status sets, in the same MULTI.
    await (fields.status ? indexLeadStatus(multi, this.prefix, id, this.retentionSeconds) : multi).exec();
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
