import { createHash } from 'node:crypto';
import type { MetaPageConfig, MetaTokenHealthConfig } from '../config/sources-config';
import type { RedisClient } from '../shared/redis-client';
import type { MetaTokenHealth } from './meta-token-assessment';

/**
 * Which token a record is about, without the token: 64 bits of its SHA-256. A record is about one
 * token, so a replaced token starts with no record (its reads are not held by the old one's death).
 */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);
}

/** A Page whose token no worker has checked yet (or whose record expired). */
export interface UncheckedToken {
  status: 'unchecked';
  paused: false;
}

/**
 * Page-token health shared through Redis, so an API process's /readyz and /metrics show what the
 * workers found: `${prefix}:meta:token:<pageId>:<fingerprint>`, JSON, rewritten by every check and
 * expiring after `ttlSeconds` (longer than the check interval, so a live worker keeps it).
 */
export class MetaTokenStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly ttlSeconds: number) {}

  key(pageId: string, token: string): string {
    return `${this.prefix}:meta:token:${pageId}:${tokenFingerprint(token)}`;
  }

  async write(pageId: string, token: string, health: MetaTokenHealth): Promise<void> {
    await this.redis.set(this.key(pageId, token), JSON.stringify(health), 'EX', this.ttlSeconds);
  }

  async read(pageId: string, token: string): Promise<MetaTokenHealth | undefined> {
    const text = await this.redis.get(this.key(pageId, token));
    if (!text) return undefined;
    try {
      return JSON.parse(text) as MetaTokenHealth;
    } catch {
      return undefined;
    }
  }

  /** Every configured Page's record, for /readyz and the gauges. */
  async readAll(pages: Record<string, MetaPageConfig>): Promise<Record<string, MetaTokenHealth | UncheckedToken>> {
    const entries = Object.entries(pages);
    const records = await Promise.all(entries.map(([pageId, page]) => this.read(pageId, page.accessToken)));
    return Object.fromEntries(entries.map(([pageId], i) => [pageId, records[i] ?? { status: 'unchecked', paused: false }]));
  }
}

/** The store every process opens alike: records outlive two check intervals, so a live worker keeps them. */
export function openMetaTokenStore(redis: RedisClient, prefix: string, health: MetaTokenHealthConfig): MetaTokenStore {
  return new MetaTokenStore(redis, prefix, Math.ceil(health.checkIntervalHours * 2 * 3600) + 3600);
}

/** What /readyz and the gauges show of one Page. */
export interface MetaPageStatus {
  status: MetaTokenHealth['status'] | 'unchecked';
  paused: boolean;
  reason?: string;
  expiresAt?: string;
  checkedAt?: string;
}

export function pageStatus(health: MetaTokenHealth | UncheckedToken): MetaPageStatus {
  if (health.status === 'unchecked') return { status: 'unchecked', paused: false };
  const out: MetaPageStatus = { status: health.status, paused: health.paused, checkedAt: health.checkedAt };
  if (health.reason) out.reason = health.reason;
  if (health.expiresAt) out.expiresAt = new Date(health.expiresAt * 1000).toISOString();
  return out;
}

/** Seconds until the token or its data access ends, whichever is first; +Inf when neither does. */
export function expiresInSeconds(health: MetaTokenHealth, now: number): number | undefined {
  if (health.expiresAt === undefined) return undefined;
  const ends = [health.expiresAt, health.dataAccessExpiresAt ?? 0].filter((at) => at > 0);
  return ends.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...ends) - Math.floor(now / 1000);
}

/** What /readyz and /metrics read of every configured Page, in any process. */
export function metaPageReaders(store: Pick<MetaTokenStore, 'readAll'>, pages: Record<string, MetaPageConfig>, now: () => number = Date.now) {
  return {
    statuses: async (): Promise<Record<string, MetaPageStatus>> =>
      Object.fromEntries(Object.entries(await store.readAll(pages)).map(([pageId, health]) => [pageId, pageStatus(health)])),
    gauges: async (): Promise<Record<string, { ok: boolean; expiresInSeconds?: number }>> => {
      const gauges: Record<string, { ok: boolean; expiresInSeconds?: number }> = {};
      for (const [pageId, health] of Object.entries(await store.readAll(pages))) {
        if (health.status === 'unchecked') continue;
        const seconds = expiresInSeconds(health, now());
        gauges[pageId] = seconds === undefined ? { ok: health.status === 'ok' } : { ok: health.status === 'ok', expiresInSeconds: seconds };
      }
      return gauges;
    },
  };
}
