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
 * express-rate-limit's Redis store, shared by every API process, that fails open quietly: with Redis
 * down the lead is refused with 503 at enqueue anyway, so counting must not turn that into a 500 or
 * print plain-text errors beside the JSON logs. A failure is logged (through pino) once a minute.
 */
export class SharedRateLimitStore implements Store {
  readonly prefix: string;
  private readonly inner: RedisStore;
  private windowMs = 60_000;
  private lastWarning = 0;
  private options: Options | undefined;
  private loaded: Promise<void> | undefined;

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

  async increment(key: string): Promise<IncrementResponse> {
    try {
      await (this.loaded ?? this.load());
      return await this.inner.increment(key);
    } catch (err) {
      this.warn(err);
      return this.unlimited();
    }
  }

  /** Counts as the first hit of a fresh window: never limits, and satisfies express-rate-limit's checks. */
  private unlimited(): IncrementResponse {
    return { totalHits: 1, resetTime: new Date(Date.now() + this.windowMs) };
  }

  async decrement(key: string): Promise<void> {
    await this.inner.decrement(key).catch((err: unknown) => this.warn(err));
  }

  async resetKey(key: string): Promise<void> {
    await this.inner.resetKey(key).catch((err: unknown) => this.warn(err));
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.deps.logger.warn({ err: (err as Error)?.message, store: this.prefix }, 'rate-limit store unavailable; not limiting until Redis answers');
  }
}
