import { createHash } from 'node:crypto';
import type { RedisClient } from '../shared/redis-client';

/** How long a bound identity (Idempotency-Key, partner external_ref) is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** One identity to bind: `scope` names its namespace (`form:contact`, `partner:acme:ref`), `fingerprint` the content it stands for. */
export interface IdentityBinding {
  scope: string;
  key: string;
  fingerprint: string;
}

/** `new`: bound now; `same`: bound earlier to the same content (a retry); `other`: bound to other content. */
export type BindResult = 'new' | 'same' | 'other';

/**
 * Identities bound to the content first sent with them, under `${prefix}:idem:${scope}:${sha256(key)}`
 * for 24 hours. There is no "in progress" state: the lead id is derived from the identity, so a
 * retry may always enqueue again (a no-op when the job exists), and a write that lands after its
 * request gave up (Redis stalled) only ever holds the content that the retry brings again.
 */
export class IdempotencyStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  private redisKey(scope: string, key: string): string {
    return `${this.prefix}:idem:${scope}:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
  }

  /** Binds every identity in one round trip; results in the order given. */
  async bind(bindings: IdentityBinding[]): Promise<BindResult[]> {
    if (bindings.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const { scope, key, fingerprint } of bindings) {
      const redisKey = this.redisKey(scope, key);
      pipeline.set(redisKey, fingerprint, 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX').get(redisKey);
    }
    const replies = (await pipeline.exec()) ?? [];
    return bindings.map(({ fingerprint }, i) => {
      const [setError, set] = replies[2 * i] ?? [new Error('no reply'), null];
      const [getError, stored] = replies[2 * i + 1] ?? [new Error('no reply'), null];
      const error = setError ?? getError;
      if (error) throw error;
      if (set === 'OK') return 'new';
      // Expired between the two commands: nothing holds the key any more, so nothing conflicts.
      return stored === null || stored === fingerprint ? 'same' : 'other';
    });
  }
}
