import { ipKeyGenerator, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import type { RedisClient } from '../shared/redis-client';
import type { Logger } from '../shared/logger';

/**
 * Below this share of the limit, a hit on an address this process has counted before is allowed on
 * what it knows, and its count goes to Redis without being waited for.
 */
const UNAWAITED_SHARE = 0.5;
/** Addresses whose window this process remembers; past it, expired windows are forgotten first. */
const MAX_KNOWN = 10_000;
/** How long hits answered without waiting may wait to be counted in Redis, all of them in one write. */
export const UNAWAITED_FLUSH_MS = 100;

/**
 * `hits` (ARGV[2]) more hits in the window of KEYS[1], which starts with the first hit and lasts
 * ARGV[1] ms: the count and the window's remaining ms. The same counter rate-limit-redis kept (an
 * integer with a PX expiry), so processes of either version count together.
 */
const COUNT_HITS_SCRIPT = `
local window, hits = tonumber(ARGV[1]), tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  redis.call('SET', KEYS[1], hits, 'PX', window)
  return { hits, window }
end
return { redis.call('INCRBY', KEYS[1], hits), ttl }`;

const COUNT_HITS_COMMAND = 'leadgateCountHits';

type CountHits = (key: string, windowMs: number, hits: number) => Promise<[number, number]>;

/** One address's window as Redis last counted it, plus this process's hits since. */
interface KnownWindow {
  hits: number;
  resetAt: number;
}

/** Hits on one address in this turn of the event loop, counted in Redis together. */
interface PendingHits {
  waiters: Array<(counted: IncrementResponse) => void>;
}

/**
 * express-rate-limit's store, shared through Redis by every API process, that fails open quietly:
 * with Redis down the lead is refused with 503 at enqueue anyway, so counting must not turn that into
 * a 500 or print plain-text errors beside the JSON logs. A failure is logged (through pino) once a minute.
 *
 * Three things keep it off the intake's critical path:
 * - the hits on one address in one turn of the event loop are counted with one INCRBY (a burst of
 *   posts from one address, or from one proxy, costs Redis one script call, not one each);
 * - only hits near the limit wait for the count: an address well under it (below UNAWAITED_SHARE of
 *   the limit in the window Redis last reported) is allowed at once. A form post otherwise waits for
 *   two Redis round trips in a row (this count, then its lead), and under load the intake's CPU
 *   idles through the first. Near the limit every hit waits, so a 429 comes exactly where Redis says;
 *   below it, the RateLimit header may count a little low while other processes' hits on the same
 *   address are still unseen;
 * - the hits allowed at once are counted in Redis every UNAWAITED_FLUSH_MS, not every turn: each
 *   turn's count was a write of its own beside the turn's intake pipeline (a loopback write costs
 *   about what Redis's work for a lead does on a 2-core machine). Other processes see them up to
 *   that much later; a hit that waits takes its address's unsent ones with it.
 */
export class SharedRateLimitStore implements Store {
  readonly prefix: string;
  private windowMs = 60_000;
  private limit: number | undefined;
  private lastWarning = 0;
  private readonly known = new Map<string, KnownWindow>();
  private pending = new Map<string, PendingHits>();
  /** Hits answered without waiting, not yet sent to Redis, by address. */
  private unsent = new Map<string, number>();
  private readonly countHits: CountHits;

  constructor(private readonly deps: { redis: RedisClient; prefix: string; logger: Logger }) {
    this.prefix = deps.prefix;
    // ioredis sends a defined command by its hash and resends the script itself when Redis lost it
    // (a restart, SCRIPT FLUSH), on Cluster on the node of the key.
    const redis = deps.redis as unknown as { scriptsSet?: Record<string, unknown> } & Record<string, CountHits>;
    if (!redis.scriptsSet?.[COUNT_HITS_COMMAND]) deps.redis.defineCommand(COUNT_HITS_COMMAND, { numberOfKeys: 1, lua: COUNT_HITS_SCRIPT });
    this.countHits = (key, windowMs, hits) => redis[COUNT_HITS_COMMAND]!(key, windowMs, hits);
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
    this.limit = typeof options.limit === 'number' ? options.limit : undefined;
  }

  increment(key: string): Promise<IncrementResponse> {
    const known = this.known.get(key);
    if (known && this.limit !== undefined && Date.now() < known.resetAt && known.hits + 1 < this.limit * UNAWAITED_SHARE) {
      known.hits += 1;
      if (this.unsent.size === 0) setTimeout(() => this.flushUnsent(), UNAWAITED_FLUSH_MS).unref();
      this.unsent.set(key, (this.unsent.get(key) ?? 0) + 1);
      return Promise.resolve({ totalHits: known.hits, resetTime: new Date(known.resetAt) });
    }
    return this.count(key);
  }

  /** The hit counted in Redis, with the others on its address in this turn (never rejects: a failure counts as a fresh window). */
  private count(key: string): Promise<IncrementResponse> {
    if (this.pending.size === 0) setImmediate(() => this.flush());
    let hits = this.pending.get(key);
    if (!hits) {
      hits = { waiters: [] };
      this.pending.set(key, hits);
    }
    const waiters = hits.waiters;
    return new Promise((resolve) => waiters.push(resolve));
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = new Map();
    for (const [key, { waiters }] of pending) {
      // The address's hits answered earlier go with these, before them.
      const earlier = this.unsent.get(key) ?? 0;
      this.unsent.delete(key);
      this.countHits(`${this.prefix}${key}`, this.windowMs, earlier + waiters.length).then(
        ([total, ttlMs]) => {
          const resetTime = new Date(Date.now() + Number(ttlMs));
          const first = Number(total) - waiters.length;
          this.remember(key, Number(total), resetTime);
          waiters.forEach((resolve, i) => resolve({ totalHits: first + i + 1, resetTime }));
        },
        (err: unknown) => {
          this.warn(err);
          for (const resolve of waiters) resolve(this.unlimited());
        },
      );
    }
  }

  /** The hits answered without waiting, counted in Redis (their answers are long given). */
  private flushUnsent(): void {
    const unsent = this.unsent;
    this.unsent = new Map();
    for (const [key, hits] of unsent) {
      this.countHits(`${this.prefix}${key}`, this.windowMs, hits).then(
        ([total, ttlMs]) => this.remember(key, Number(total), new Date(Date.now() + Number(ttlMs))),
        (err: unknown) => this.warn(err),
      );
    }
  }

  private remember(key: string, totalHits: number, resetTime: Date): void {
    const resetAt = resetTime.getTime();
    const known = this.known.get(key);
    // The same window (its reset is worked out from Redis's TTL, so it moves by milliseconds): hits
    // only grow, and this process's unawaited ones may not be in this answer yet.
    if (known && Math.abs(known.resetAt - resetAt) < 1000) {
      known.hits = Math.max(known.hits, totalHits);
      return;
    }
    if (!known && this.known.size >= MAX_KNOWN) this.forgetExpired();
    this.known.set(key, { hits: totalHits, resetAt });
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [key, window] of this.known) if (window.resetAt <= now) this.known.delete(key);
    // Still full (that many addresses within one window): forget them all; they only wait for Redis again.
    if (this.known.size >= MAX_KNOWN) this.known.clear();
  }

  /** Counts as the first hit of a fresh window: never limits, and satisfies express-rate-limit's checks. */
  private unlimited(): IncrementResponse {
    return { totalHits: 1, resetTime: new Date(Date.now() + this.windowMs) };
  }

  async decrement(key: string): Promise<void> {
    this.known.delete(key);
    await this.deps.redis.decr(`${this.prefix}${key}`).catch((err: unknown) => this.warn(err));
  }

  async resetKey(key: string): Promise<void> {
    this.known.delete(key);
    this.unsent.delete(key);
    await this.deps.redis.del(`${this.prefix}${key}`).catch((err: unknown) => this.warn(err));
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.deps.logger.warn({ err: (err as Error)?.message, store: this.prefix }, 'rate-limit store unavailable; not limiting until Redis answers');
  }
}

/**
 * The default key (ipKeyGenerator: an IPv6 address counts by its /56) without the default's checks of
 * every request's address (an IPv6 pattern match even for IPv4): a dotted IPv4 address is its own key.
 */
export function addressKey(req: { ip?: string | undefined }): string {
  const ip = req.ip ?? '';
  return ip.includes(':') ? ipKeyGenerator(ip) : ip;
}
