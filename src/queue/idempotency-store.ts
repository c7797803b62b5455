import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How long an Idempotency-Key is remembered after its request succeeded. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** How long a request may hold a key unfinished; a crashed process frees it after this. */
export const IDEMPOTENCY_PENDING_TTL_SECONDS = 30;

/** The answer to replay for a repeated request. */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type IdempotencyRecord =
  | { state: 'pending'; bodyHash: string }
  | { state: 'done'; bodyHash: string; answer: StoredAnswer };

/**
 * `Idempotency-Key`s per partner, under `${prefix}:idem:${scope}:${sha256(key)}`: a pending marker
 * (SET NX, short-lived) while the first request runs, then its answer for 24 hours.
 */
export class IdempotencyStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private redisKey(scope: string, key: string): string {
    return `${this.prefix}:idem:${scope}:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
  }

  /** True when this request now owns the key; false when another request holds or held it. */
  async claim(scope: string, key: string, bodyHash: string): Promise<boolean> {
    const record: IdempotencyRecord = { state: 'pending', bodyHash };
    const set = await this.redis.set(this.redisKey(scope, key), JSON.stringify(record), 'EX', IDEMPOTENCY_PENDING_TTL_SECONDS, 'NX');
    return set === 'OK';
  }

  async get(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const text = await this.redis.get(this.redisKey(scope, key));
    return text ? (JSON.parse(text) as IdempotencyRecord) : undefined;
  }

  async complete(scope: string, key: string, bodyHash: string, answer: StoredAnswer): Promise<void> {
    const record: IdempotencyRecord = { state: 'done', bodyHash, answer };
    await this.redis.set(this.redisKey(scope, key), JSON.stringify(record), 'EX', IDEMPOTENCY_TTL_SECONDS);
  }

  /** The request failed without an answer worth keeping: the key is free for a retry. */
  async release(scope: string, key: string): Promise<void> {
    await this.redis.del(this.redisKey(scope, key));
  }
}
