import type { RedisClient } from '../shared/redis-client';
import type { Lead } from '../lead/lead';
import type { FetchLinkedInLeadJob } from './linkedin-lead-queue';
import type { FetchMetaLeadJob } from './jobs';
import type { DeliveryAttempt } from './lead-ledger';
import { indexDeadLetter, unindexDeadLetter } from './dead-letter-index';

/** A lead that died before it could be delivered: what a replay must run again instead of delivering. */
export type RefetchNote =
  /** The lead is still on Meta's side: replay reads it from the Graph API again. */
  | { stage: 'fetch-meta'; job: FetchMetaLeadJob }
  /** The lead is still on LinkedIn's side: replay reads it from the Lead Sync API again. */
  | { stage: 'fetch-linkedin'; job: FetchLinkedInLeadJob };

export interface DeadLetter {
  /** For a lead that died before delivery, a stand-in with its id, source, destination and ids only. */
  lead: Lead;
  reason: string;
  code: string;
  deadAt: string;
  attempts: DeliveryAttempt[];
  refetch?: RefetchNote;
}

const CLAIM_TTL_SECONDS = 600;

/**
 * The dead-letter queue: leads that cannot be delivered without a person acting, each with the
 * reason and every attempt, ordered by when they died. Entries stay until replayed or purged: their
 * owner is the operator (`leadgate dlq`), so they carry no TTL.
 */
export class DeadLetterStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  private indexKey(): string {
    return `${this.prefix}:dlq`;
  }

  private entryKey(id: string): string {
    return `${this.prefix}:dlq:${id}`;
  }

  private claimKey(id: string): string {
    return `${this.prefix}:dlq-claim:${id}`;
  }

  /**
   * `claimed` for the one caller that may dead-letter this lead now; `stored` when the lead is here
   * already; `busy` while another caller holds the claim but has not written the entry yet. The claim
   * is dropped with the entry (replay, purge), and expires on its own should its holder die first.
   */
  async claim(id: string): Promise<'claimed' | 'stored' | 'busy'> {
    if (await this.redis.exists(this.entryKey(id))) return 'stored';
    if ((await this.redis.set(this.claimKey(id), '1', 'EX', CLAIM_TTL_SECONDS, 'NX')) === 'OK') return 'claimed';
    return (await this.redis.exists(this.entryKey(id))) ? 'stored' : 'busy';
  }

  async add(entry: DeadLetter): Promise<void> {
    const multi = this.redis
      .multi()
      .set(this.entryKey(entry.lead.id), JSON.stringify(entry))
      .zadd(this.indexKey(), Date.parse(entry.deadAt), entry.lead.id);
    // Filed by destination, code and source in the same MULTI, for the console's filters.
    await indexDeadLetter(multi, this.prefix, entry).exec();
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const text = await this.redis.get(this.entryKey(id));
    return text ? (JSON.parse(text) as DeadLetter) : undefined;
  }

  async list(offset = 0, limit = 50): Promise<DeadLetter[]> {
    const ids = await this.redis.zrange(this.indexKey(), offset, offset + limit - 1);
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map((id) => this.entryKey(id)));
    return texts.filter((t): t is string => t !== null).map((t) => JSON.parse(t) as DeadLetter);
  }

  async ids(): Promise<string[]> {
    return this.redis.zrange(this.indexKey(), 0, -1);
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.indexKey());
  }

  async remove(id: string): Promise<void> {
    await unindexDeadLetter(this.redis.multi().del(this.entryKey(id), this.claimKey(id)).zrem(this.indexKey(), id), this.prefix, id).exec();
  }
}
