import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../shared/redis-client';

export interface ConsoleSession {
  /** Synchronizer token: every POST of the console must carry it. */
  csrf: string;
  createdAt: string;
  /** The named operator (admin.operators) who signed in; absent for the shared admin token. */
  operator?: string;
}

/**
 * Signed-in operators of the console. Keys hold a hash of the cookie's id, so a Redis dump cannot be
 * replayed as a cookie; each session expires after `ttlSeconds` without a request (idle expiry).
 */
export class ConsoleSessions {
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly ttlSeconds: number) {}

  private key(id: string): string {
    return `${this.prefix}:console:session:${createHash('sha256').update(id).digest('hex')}`;
  }

  /** Returns the cookie value of the new session. */
  async create(operator?: string): Promise<{ id: string; session: ConsoleSession }> {
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { csrf: randomBytes(24).toString('base64url'), createdAt: new Date().toISOString(), ...(operator ? { operator } : {}) };
    await this.redis.set(this.key(id), JSON.stringify(session), 'EX', this.ttlSeconds);
    return { id, session };
  }

  /** The session, its idle timer restarted; undefined once expired or signed out. */
  async touch(id: string): Promise<ConsoleSession | undefined> {
    const key = this.key(id);
    const replies = (await this.redis.multi().get(key).expire(key, this.ttlSeconds).exec()) ?? [];
    const text = replies[0]?.[1];
    return typeof text === 'string' ? (JSON.parse(text) as ConsoleSession) : undefined;
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}
