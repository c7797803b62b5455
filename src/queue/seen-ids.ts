import { createHash } from 'node:crypto';
import type { RedisClient } from '../shared/redis-client';

/** Meta retries for 36 hours and Google does not promise exactly-once: remember ids twice as long. */
export const SEEN_TTL_SECONDS = 72 * 3600;

const SEEN = '1';

/**
 * Platform lead ids already taken in (Meta leadgen_id, Google lead_id), under
 * `${prefix}:seen:${source}:${id}`, written only once the lead is durably queued. There is no claim
 * before queueing: the lead id (and so the job id) is derived from the platform's id, so two
 * deliveries racing each other, or a retry after a 503 whose job landed anyway, are one job. This
 * memory outlives the finished jobs (72 hours against the jobs' retention) so a late repeat is
 * acknowledged without being queued again.
 */
export class SeenIds {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  key(source: string, id: string): string {
    return `${this.prefix}:seen:${source}:${id}`;
  }

  /**
   * A forgotten person's platform id, hashed: the id itself is erased, yet a platform retry or a
   * backfill of that lead is still recognised and not taken in again (it would bring the person back).
   */
  forgottenKey(source: string, id: string): string {
    return `${this.prefix}:seen:${source}:forgotten:${createHash('sha256').update(`leadgate-forgotten/1\n${source}\n${id}`, 'utf8').digest('hex')}`;
  }

  /** Which of these ids were taken in already (or taken in and forgotten since); in the order given. Reads only. */
  async seenAmong(source: string, ids: string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.mget(...ids.flatMap((id) => [this.key(source, id), this.forgottenKey(source, id)]));
    // Only the confirmed value counts: a marker of any other shape (an older version's short-lived claim) is not a lead taken in.
    return ids.map((_, i) => values[2 * i] === SEEN || values[2 * i + 1] === SEEN);
  }

  /** Erasure: the id's key goes; a hashed marker keeps refusing the lead for the rest of the 72 hours. Returns whether it was there. */
  async forget(source: string, id: string): Promise<boolean> {
    const key = this.key(source, id);
    const ttl = await this.redis.ttl(key);
    const [[, removed] = [null, 0]] = (await this.redis.multi().del(key).set(this.forgottenKey(source, id), SEEN, 'EX', ttl > 0 ? ttl : SEEN_TTL_SECONDS).exec()) ?? [];
    return Number(removed) > 0;
  }

  /** The leads are in Redis: their ids are now remembered for 72 hours. */
  async remember(source: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const multi = this.redis.multi();
    for (const id of ids) multi.set(this.key(source, id), SEEN, 'EX', SEEN_TTL_SECONDS);
    await multi.exec();
  }
}
