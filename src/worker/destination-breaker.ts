import type { Queue } from 'bullmq';
import type { RedisClient } from '../shared/redis-client';

export interface BreakerState {
  open: boolean;
  code?: string;
  reason?: string;
  since?: string;
  lastProbeAt?: string;
  lastProbeError?: string;
}

export function breakerKey(prefix: string, destination: string): string {
  return `${prefix}:breaker:${destination}`;
}

/** Any process (API, CLI) can read whether a destination is paused, and why. */
export async function readBreakerState(redis: RedisClient, prefix: string, destination: string): Promise<BreakerState> {
  const hash = await redis.hgetall(breakerKey(prefix, destination));
  if (hash.open !== '1') return { open: false };
  return {
    open: true,
    ...(hash.code !== undefined ? { code: hash.code } : {}),
    ...(hash.reason ? { reason: hash.reason } : {}),
    ...(hash.since ? { since: hash.since } : {}),
    ...(hash.lastProbeAt ? { lastProbeAt: hash.lastProbeAt } : {}),
    ...(hash.lastProbeError ? { lastProbeError: hash.lastProbeError } : {}),
  };
}

export interface DestinationBreakerOptions {
  redis: RedisClient;
  prefix: string;
  destination: string;
  /** The destination's delivery queue: pausing it stops every worker on every host. */
  queue: Pick<Queue, 'pause' | 'resume' | 'isPaused'>;
  /**
   * A cheap call that needs what delivery needs (the `crm` scope, the CRM module): resolves once the
   * portal would take a lead again. A call that needs less would resume a destination that pauses again.
   */
  probe?: () => Promise<void>;
  probeIntervalMs?: number;
  onChange?: (state: BreakerState) => void;
  /** Redis or the queue failed during a tick (logged by the caller; the next tick tries again). */
  onError?: (err: Error) => void;
}

/**
 * A circuit breaker per destination for failures that hit every lead alike (revoked webhook, deleted
 * portal, refresh token rejected): instead of dead-lettering the whole backlog, the destination's
 * queue is paused with its leads kept, the reason is recorded in Redis for operators, and a probe
 * (one process at a time) closes it again once the portal accepts us.
 */
export class DestinationBreaker {
  private readonly key: string;
  private readonly lockKey: string;
  private timer?: NodeJS.Timeout;
  private tick: Promise<void> = Promise.resolve();
  /** What this process last saw, so every process reports (metrics, logs) a change made by another. */
  private seenOpen = false;

  constructor(private readonly options: DestinationBreakerOptions) {
    this.key = breakerKey(options.prefix, options.destination);
    this.lockKey = `${this.key}:probe`;
  }

  /**
   * The breaker's record is the truth and the queue's paused flag follows it: written in that order
   * (and undone in the reverse order), a crash in between leaves "open, queue running" at worst, never
   * a paused queue that nobody reports, and `sync` repairs either mismatch on the next tick.
   */
  async open(code: string, reason: string): Promise<void> {
    await this.options.redis.multi().hsetnx(this.key, 'since', new Date().toISOString()).hset(this.key, { open: '1', code, reason }).exec();
    await this.options.queue.pause();
    await this.notice(await this.state());
  }

  async close(): Promise<void> {
    await this.options.queue.resume();
    await this.options.redis.del(this.key);
    await this.notice({ open: false });
  }

  /** Makes the queue's paused flag agree with the breaker (the breaker is the only one that pauses delivery). */
  async sync(): Promise<BreakerState> {
    const state = await this.state();
    const paused = await this.options.queue.isPaused();
    if (state.open && !paused) await this.options.queue.pause();
    if (!state.open && paused) await this.options.queue.resume();
    await this.notice(state);
    return state;
  }

  private async notice(state: BreakerState): Promise<void> {
    if (state.open === this.seenOpen) return;
    this.seenOpen = state.open;
    this.options.onChange?.(state);
  }

  state(): Promise<BreakerState> {
    return readBreakerState(this.options.redis, this.options.prefix, this.options.destination);
  }

  /** One probe attempt, if the breaker is open and no other process is probing right now. */
  async probeOnce(): Promise<boolean> {
    const probe = this.options.probe;
    if (!probe || !(await this.state()).open) return false;
    const interval = this.options.probeIntervalMs ?? 30_000;
    const locked = await this.options.redis.set(this.lockKey, '1', 'PX', Math.max(1000, interval - 100), 'NX');
    if (locked !== 'OK') return false;
    try {
      await probe();
    } catch (err) {
      await this.options.redis.hset(this.key, { lastProbeAt: new Date().toISOString(), lastProbeError: (err as Error).message });
      return false;
    }
    await this.close();
    return true;
  }

  startProbing(): void {
    const interval = this.options.probeIntervalMs ?? 30_000;
    this.timer = setInterval(() => {
      this.tick = (async () => {
        await this.sync();
        await this.probeOnce();
      })().catch((err: Error) => this.options.onError?.(err));
    }, interval);
    this.timer.unref();
  }

  /** Stops probing and waits for a probe already under way, so none reaches the portal after shutdown. */
  async stopProbing(): Promise<void> {
    clearInterval(this.timer);
    await this.tick;
  }
}
