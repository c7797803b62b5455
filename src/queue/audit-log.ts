import type { RedisClient } from '../shared/redis-client';

export interface AuditEntry {
  at: string;
  /** Who acted: `admin` for the shared admin token. */
  actor: string;
  /** e.g. sign-in, sign-in-refused, replay, purge, resume. */
  action: string;
  /** The lead id or destination acted on; never personal data. */
  target?: string;
  outcome: 'ok' | 'refused' | 'not_found' | 'failed';
  ip?: string;
}

const MAX_ENTRIES = 5000;
const RETENTION_SECONDS = 90 * 24 * 3600;

/**
 * What operators did in the console, newest first: a Redis list capped at 5000 entries that expires
 * 90 days after the last action, so a quiet gateway does not keep it forever.
 */
export class AuditLog {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  private key(): string {
    return `${this.prefix}:console:audit`;
  }

  async record(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    const line = JSON.stringify({ at: new Date().toISOString(), ...entry });
    await this.redis.multi().lpush(this.key(), line).ltrim(this.key(), 0, MAX_ENTRIES - 1).expire(this.key(), RETENTION_SECONDS).exec();
  }

  async recent(limit = 200): Promise<AuditEntry[]> {
    const lines = await this.redis.lrange(this.key(), 0, limit - 1);
    return lines.map((line) => JSON.parse(line) as AuditEntry);
  }
}
