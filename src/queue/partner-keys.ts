import type { RedisClient } from '../shared/redis-client';

/** A key's public name: the first 12 hex digits of its SHA-256 (the key is 256 random bits, so this tells nothing of it). */
export function keyFingerprint(hash: string): string {
  return `sha256:${hash.slice(0, 12).toLowerCase()}`;
}

/** A partner key created in the console: only its hash is kept, like the config's keyHashes. */
export interface StoredPartnerKey {
  hash: string;
  partner: string;
  createdAt: string;
  createdBy: string;
}

export interface Revocation {
  revokedAt: string;
  revokedBy: string;
}

/**
 * Partner keys beside the config's `keyHashes`: keys created in the console live in one Redis hash
 * (SHA-256 → partner), and revoked config keys in another (SHA-256 → who revoked it, when), so an
 * operator can hand out or cut off a key at once, on every API process, without a redeploy. Config
 * stays the list of partners (destination, mapping, rate limit): a key in Redis is honoured only for
 * a partner that config still has. Both are kept until revoked (no TTL): losing them would lock a
 * partner out or bring a revoked key back.
 */
export class PartnerKeyStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  private keysKey(): string {
    return `${this.prefix}:partner-keys`;
  }

  private revokedKey(): string {
    return `${this.prefix}:partner-keys:revoked`;
  }

  async add(key: Omit<StoredPartnerKey, 'createdAt'>): Promise<StoredPartnerKey> {
    const stored: StoredPartnerKey = { ...key, hash: key.hash.toLowerCase(), createdAt: new Date().toISOString() };
    await this.redis.hset(this.keysKey(), stored.hash, JSON.stringify(stored));
    return stored;
  }

  /** Drops a console key, or marks a config key revoked; false when a console key was not there. */
  async revoke(hash: string, by: { revokedBy: string; configKey: boolean }): Promise<boolean> {
    const normal = hash.toLowerCase();
    if (by.configKey) {
      const revocation: Revocation = { revokedAt: new Date().toISOString(), revokedBy: by.revokedBy };
      await this.redis.hset(this.revokedKey(), normal, JSON.stringify(revocation));
      return true;
    }
    return (await this.redis.hdel(this.keysKey(), normal)) === 1;
  }

  async list(): Promise<{ keys: StoredPartnerKey[]; revoked: Map<string, Revocation> }> {
    const [keys, revoked] = await Promise.all([this.redis.hgetall(this.keysKey()), this.redis.hgetall(this.revokedKey())]);
    return {
      keys: Object.values(keys).map((text) => JSON.parse(text) as StoredPartnerKey),
      revoked: new Map(Object.entries(revoked).map(([hash, text]) => [hash, JSON.parse(text) as Revocation])),
    };
  }

  /** One round trip: the console key with this hash (if any), and whether a config key with it was revoked. */
  async lookup(hash: string): Promise<{ stored?: StoredPartnerKey; revoked: boolean }> {
    const normal = hash.toLowerCase();
    const replies = (await this.redis.multi().hget(this.keysKey(), normal).hexists(this.revokedKey(), normal).exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
    const text = replies[0]?.[1];
    return { ...(typeof text === 'string' ? { stored: JSON.parse(text) as StoredPartnerKey } : {}), revoked: replies[1]?.[1] === 1 };
  }
}
