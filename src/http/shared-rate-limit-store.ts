import type { IncrementResponse, Options, Store } from 'express-rate-limit';
import type { Cluster } from 'ioredis';
import type { RedisClient } from '../shared/redis-client';
import { RedisStore } from 'rate-limit-redis';
import type { Logger } from '../shared/logger';

/**
 * The store loads its scripts with SCRIPT LOAD, a key-less command a Cluster client sends to a random
 * node, then runs them with EVALSHA on the node of the key: so on Cluster every master loads them.
 */
async function sendCommand(redis: RedisClient, command: string, args: string[]): Promise<unknown> {
  if (redis.isCluster && command.toUpperCase() === 'SCRIPT' && args[0]?.toUpperCase() === 'LOAD') {
    const shas = await Promise.all((redis as Cluster).nodes('master').map((node) => node.call(command, ...args)));
    return shas[0];
  }
  return redis.call(command, ...args);
}

/**
 * Below this share of the limit, a hit on an address this process has counted before is allowed on
 * what it knows, and its count goes to Redis without being waited for.
 */
const UNAWAITED_SHARE = 0.5;
/** Addresses whose window this process remembers; past it, expired windows are forgotten first. */
const MAX_KNOWN = 10_000;

/** One address's window as Redis last counted it, plus this process's hits since. */
interface KnownWindow {
  hits: number;
  resetAt: number;
}

/**
 * express-rate-limit's Redis store, shared by every API process, that fails open quietly: with Redis
 * down the lead is refused with 503 at enqueue anyway, so counting must not turn that into a 500 or
 * print plain-text errors beside the JSON logs. A failure is logged (through pino) once a minute.
 *
 * Every hit is counted in Redis, but only hits near the limit wait for the count: an address well
 * under it (below UNAWAITED_SHARE of the limit in the window Redis last reported) is allowed at once.
 * A form post otherwise waits for two Redis round trips in a row (this count, then its lead), and
 * under load the intake's CPU idles through the first. Near the limit every hit waits, so a 429
 * comes exactly where Redis says; below it, the RateLimit header may count a little low while other
 * processes' hits on the same address are still unseen.
 */
export class SharedRateLimitStore implements Store {
  readonly prefix: string;
  private readonly inner: RedisStore;
  private windowMs = 60_000;
  private lastWarning = 0;
  private options: Options | undefined;
  private loaded: Promise<void> | undefined;
  private readonly known = new Map<string, KnownWindow>();

  constructor(private readonly deps: { redis: RedisClient; prefix: string; logger: Logger }) {
    this.prefix = deps.prefix;
    this.inner = new RedisStore({
      prefix: deps.prefix,
      sendCommand: (command: string, ...args: string[]) => sendCommand(deps.redis, command, args) as never,
    });
  }

  init(options: Options): void {
    this.options = options;
    this.windowMs = options.windowMs;
    void this.load();
  }

  /**
   * Loads the store's scripts. The inner store keeps a failed load's rejection for good (every later
   * count would fail), so a failure here is forgotten and the next count loads them again: an API that
   * started while Redis was away limits again once it answers.
   */
  private load(): Promise<void> {
    const loading = this.inner.init(this.options!);
    this.loaded = loading;
    loading.catch((err: unknown) => {
      this.warn(err);
      if (this.loaded === loading) this.loaded = undefined;
    });
    return loading;
  }

  increment(key: string): Promise<IncrementResponse> {
    const counted = this.count(key);
    const known = this.known.get(key);
    const limit = this.options?.limit;
    if (known && typeof limit === 'number' && Date.now() < known.resetAt && known.hits + 1 < limit * UNAWAITED_SHARE) {
      known.hits += 1;
      return Promise.resolve({ totalHits: known.hits, resetTime: new Date(known.resetAt) });
    }
    return counted;
  }

  /** The hit counted in Redis (never rejects: a failure counts as a fresh window). */
  private async count(key: string): Promise<IncrementResponse> {
    try {
      await (this.loaded ?? this.load());
      const counted = await this.inner.increment(key);
      this.remember(key, counted);
      return counted;
    } catch (err) {
      this.warn(err);
      return this.unlimited();
    }
  }

  private remember(key: string, { totalHits, resetTime }: IncrementResponse): void {
    if (!resetTime) return;
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
    await this.inner.decrement(key).catch((err: unknown) => this.warn(err));
  }

  async resetKey(key: string): Promise<void> {
    this.known.delete(key);
    await this.inner.resetKey(key).catch((err: unknown) => this.warn(err));
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.deps.logger.warn({ err: (err as Error)?.message, store: this.prefix }, 'rate-limit store unavailable; not limiting until Redis answers');
  }
}
