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

  /** Which of these ids were taken in already; in the order given. Reads only. */
  async seenAmong(source: string, ids: string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.mget(...ids.map((id) => this.key(source, id)));
    // Only the confirmed value counts: a marker of any other shape (an older version's short-lived claim) is not a lead taken in.
    return values.map((value) => value === SEEN);
  }

  /** The leads are in Redis: their ids are now remembered for 72 hours. */
  async remember(source: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const multi = this.redis.multi();
    for (const id of ids) multi.set(this.key(source, id), SEEN, 'EX', SEEN_TTL_SECONDS);
    await multi.exec();
  }
}
