import type { Redis } from 'ioredis';

/** Meta retries for 36 hours and Google does not promise exactly-once: remember ids twice as long. */
export const SEEN_TTL_SECONDS = 72 * 3600;

/**
 * How long a claim may stay unconfirmed. A process that dies between claim and enqueue leaves only
 * this marker behind; once it expires, the platform's next retry is taken in again.
 */
export const PENDING_TTL_SECONDS = 60;

/** `new`: ours to enqueue; `seen`: already taken in (acknowledge, ignore); `pending`: being taken in right now. */
export type ClaimResult = 'new' | 'seen' | 'pending';

const PENDING = 'pending';
const DONE = '1';

/**
 * Platform lead ids already taken in (Meta leadgen_id, Google lead_id), under
 * `${prefix}:seen:${source}:${id}`. A claim is a `SET NX` of a short-lived pending marker; once the
 * lead is durably queued it is confirmed for 72 hours, and if queueing fails it is released so the
 * platform's retry is not ignored.
 */
export class SeenIds {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  key(source: string, id: string): string {
    return `${this.prefix}:seen:${source}:${id}`;
  }

  async claim(source: string, id: string): Promise<ClaimResult> {
    const [result] = await this.claimMany(source, [id]);
    return result ?? 'seen';
  }

  /** Claims many ids in one round trip (Meta sends up to 1000 per POST); results in the order given. */
  async claimMany(source: string, ids: string[]): Promise<ClaimResult[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    // SET NX then GET, per id: the GET tells a repeat (done) from a claim still in flight (pending).
    for (const id of ids) pipeline.set(this.key(source, id), PENDING, 'EX', PENDING_TTL_SECONDS, 'NX').get(this.key(source, id));
    const replies = (await pipeline.exec()) ?? [];
    return ids.map((id, i) => {
      const [setError, set] = replies[2 * i] ?? [new Error('no reply'), null];
      const [, value] = replies[2 * i + 1] ?? [null, null];
      if (setError) throw new Error(`cannot claim ${source} lead ${id}: ${setError.message}`);
      if (set === 'OK') return 'new';
      return value === PENDING ? 'pending' : 'seen';
    });
  }

  /** The leads are in Redis: their ids are now remembered for 72 hours. */
  async confirm(source: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const multi = this.redis.multi();
    for (const id of ids) multi.set(this.key(source, id), DONE, 'EX', SEEN_TTL_SECONDS);
    await multi.exec();
  }

  /** Queueing failed: forget the claims, so the platform's retry is taken in. */
  async release(source: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.del(...ids.map((id) => this.key(source, id)));
  }
}
