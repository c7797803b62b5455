import { createHash } from 'node:crypto';
import type { RedisClient } from '../shared/redis-client';

/** How long a bound identity (Idempotency-Key, partner external_ref) is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** One identity to bind: `scope` names its namespace (`form:contact`, `partner:acme:ref`), `fingerprint` the content it stands for. */
export interface IdentityBinding {
  scope: string;
  key: string;
  fingerprint: string;
  /** The leads the identity stands for: stored beside the fingerprint so `forget` can find the binding. */
  leadIds?: string[];
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

  redisKey(scope: string, key: string): string {
    return `${this.prefix}:idem:${scope}:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
  }

  /** Binds every identity in one round trip; results in the order given. */
  async bind(bindings: IdentityBinding[]): Promise<BindResult[]> {
    if (bindings.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const { scope, key, fingerprint, leadIds } of bindings) {
      const redisKey = this.redisKey(scope, key);
      pipeline.set(redisKey, bindingValue(fingerprint, leadIds), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX').get(redisKey);
    }
    const replies = (await pipeline.exec()) ?? [];
    return bindings.map(({ fingerprint }, i) => {
      const [setError, set] = replies[2 * i] ?? [new Error('no reply'), null];
      const [getError, stored] = replies[2 * i + 1] ?? [new Error('no reply'), null];
      const error = setError ?? getError;
      if (error) throw error;
      if (set === 'OK') return 'new';
      // Expired between the two commands: nothing holds the key any more, so nothing conflicts.
      return stored === null || fingerprintOf(String(stored)) === fingerprint ? 'same' : 'other';
    });
  }
}

/** `<fingerprint>` or `<fingerprint> <lead id>,<lead id>…` (lead ids hold no ':' nor ' '). */
function bindingValue(fingerprint: string, leadIds: string[] | undefined): string {
  return leadIds && leadIds.length > 0 ? `${fingerprint} ${leadIds.join(',')}` : fingerprint;
}

const fingerprintOf = (value: string): string => value.split(' ', 1)[0]!;

/** The lead ids a stored binding names (none for a binding written before they were stored). */
export function bindingLeadIds(value: string): string[] {
  const space = value.indexOf(' ');
  return space === -1 ? [] : value.slice(space + 1).split(',').filter(Boolean);
}

/** Where a partner's external_ref binding lives: findable from the lead's own record. */
export function externalRefKey(prefix: string, partner: string, externalRef: string): string {
  return `${prefix}:idem:partner:${partner}:ref:${createHash('sha256').update(externalRef, 'utf8').digest('hex')}`;
}
