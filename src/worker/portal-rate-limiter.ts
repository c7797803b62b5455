import type { ColdStart } from '../config/config';
import type { RedisClient } from '../shared/redis-client';

/**
 * Mirrors a portal's leaky bucket in Redis so every worker process on every host draws on one budget.
 * Redis's own clock is used, so hosts with drifting clocks still agree. Returns {wait, busyFor}: wait
 * is 0 when a request may go now, else how many ms to wait; busyFor is how long the portal is still
 * known to be busy with other traffic (see REFUSED). A mirror with no level yet (first use, or an hour
 * unused) starts at ARGV[3]: empty, or full when the portal may be busy with other traffic we cannot see.
 *
 * ARGV[4] = '1': the request is the first one after this process had nothing waiting for the portal
 * (not the next of a stream, not a retry of a wait). On a portal known to be busy, other apps may have
 * filled the bucket at any moment since our last request, which our mirror cannot see: the only wait
 * that cannot be refused is one drain step from now, so the mirror is raised to full as of now
 * (shared: every process waits from there). Under load requests follow each other with ARGV[4] = '0'
 * and pace on the mirror alone, so this costs no throughput.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local drain = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'pausedUntil', 'level', 'ts', 'busyUntil')
local busyFor = math.max(0, tonumber(h[4] or '0') - now)
local paused = tonumber(h[1] or '0')
if paused > now then return {paused - now, busyFor} end
local level = tonumber(h[2] or ARGV[3])
local ts = tonumber(h[3] or tostring(now))
level = math.max(0, level - (now - ts) * drain / 1000)
if busyFor > 0 and ARGV[4] == '1' and level < capacity then level = capacity end
if level + 1 <= capacity then
  redis.call('HSET', KEYS[1], 'level', tostring(level + 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[1], 3600000)
  return {0, busyFor}
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 3600000)
return {math.ceil((level + 1 - capacity) * 1000 / drain), busyFor}
`;

/** After the portal itself refused us: everyone stops for `ms`, and the bucket is treated as full. */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil') or '0')
if untilMs > paused then redis.call('HSET', KEYS[1], 'pausedUntil', tostring(untilMs)) end
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'level', ARGV[3], 'ts', tostring(now)) end
redis.call('PEXPIRE', KEYS[1], 3600000)
return untilMs - now
`;

/**
 * The portal refused a request (QUERY_LIMIT_EXCEEDED): its real bucket is above its limit, whatever
 * the mirror believed (other apps, an earlier process). The mirror becomes full as of now, so the
 * next request waits exactly one drain step, by which time the real counter is back at its limit
 * (a refused request is not counted). ARGV[3] adds a pause on top, for refusals in a row. Setting,
 * not adding: two requests refused together still mean one full bucket. The portal is also marked
 * busy for ARGV[4] ms (kept an hour at most, with the hash): other traffic spends its bucket where we
 * cannot see it, so a request arriving after a lull waits one step instead of being refused (ACQUIRE).
 * Returns {wait, busyFor}.
 */
const REFUSED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local step = tonumber(ARGV[1])
local busyFor = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'level', ARGV[2], 'ts', tostring(now), 'busyUntil', tostring(now + busyFor))
local paused = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil') or '0')
local extra = tonumber(ARGV[3])
if extra > 0 and now + extra > paused then
  paused = now + extra
  redis.call('HSET', KEYS[1], 'pausedUntil', tostring(paused))
end
redis.call('PEXPIRE', KEYS[1], 3600000)
return {math.max(step, paused - now), busyFor}
`;

/**
 * How long a portal stays known as busy after a refusal. Other integrations that fill a portal's
 * bucket tend to be there for good (a sync, a telephony app); being wrong costs a lone lead one drain
 * step of waiting, which a refusal would have cost it too.
 */
export const BUSY_MEMORY_MS = 10 * 60_000;

export interface BucketShape {
  drainPerSecond: number;
  limit: number;
}

export const PLAN_BUCKETS: Record<'standard' | 'enterprise', BucketShape> = {
  standard: { drainPerSecond: 2, limit: 50 },
  enterprise: { drainPerSecond: 5, limit: 250 },
};

export interface RateLimiter {
  /**
   * 0 when a request may go now (it is counted), else the ms to wait. `afterLull`: the first request
   * after the caller had nothing waiting for the portal; on a busy portal it waits one drain step.
   */
  acquire(options?: { afterLull?: boolean }): Promise<number>;
  /** Other traffic was seen on the portal lately (a refusal, by any process), as of the last answer. */
  readonly busy: boolean;
  /**
   * The portal refused a request for its rate limit: the mirror turns full and the wait (ms) before
   * the next request is returned, one drain step plus `extraPauseMs`.
   */
  refused(extraPauseMs?: number): Promise<number>;
  /** How long the bucket takes to drain one request (ms). */
  readonly drainStepMs: number;
  pause(ms: number, options?: { bucketFull?: boolean }): Promise<void>;
  /** Lifts a pause at once (the destination's circuit breaker closed). */
  resume(): Promise<void>;
}

/** Requests kept unused below the portal's limit (other integrations on the portal, clock jitter). */
export function bucketCapacity(bucket: BucketShape, headroom = Math.max(1, Math.floor(bucket.limit * 0.1))): number {
  return Math.max(1, bucket.limit - headroom);
}

export interface BucketLevel {
  /** Requests in the bucket now (it drains at drainPerSecond); the workers send while level + 1 <= capacity. */
  level: number;
  capacity: number;
  limit: number;
  drainPerSecond: number;
  /** The portal refused us (or a breaker paused it): nobody sends for this long. */
  pausedForMs: number;
}

/** The shared bucket as the workers left it, drained to Redis's clock now: what the console shows. */
export async function readBucketLevel(redis: RedisClient, prefix: string, destination: string, bucket: BucketShape): Promise<BucketLevel> {
  const [[seconds, micros], hash] = await Promise.all([redis.time(), redis.hgetall(`${prefix}:bucket:${destination}`)]);
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const stored = Number(hash.level ?? 0);
  const ts = Number(hash.ts ?? now);
  const level = Math.max(0, stored - ((now - ts) * bucket.drainPerSecond) / 1000);
  return {
    level: Math.round(level * 10) / 10,
    capacity: bucketCapacity(bucket),
    limit: bucket.limit,
    drainPerSecond: bucket.drainPerSecond,
    pausedForMs: Math.max(0, Number(hash.pausedUntil ?? 0) - now),
  };
}

export class PortalRateLimiter implements RateLimiter {
  private readonly key: string;
  private readonly capacity: number;
  private readonly coldLevel: number;
  private readonly busyMemoryMs: number;
  /** This process's clock: until when the portal was last known busy. */
  private busyUntil = 0;
  readonly drainStepMs: number;

  /**
   * `headroom` requests are kept unused below the portal's limit: requests from other integrations
   * on the same portal and network jitter between our clock and Bitrix24's must not tip it over.
   */
  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    destination: string,
    private readonly bucket: BucketShape,
    options: { coldStart?: ColdStart; headroom?: number; busyMemoryMs?: number } = {},
  ) {
    this.key = `${prefix}:bucket:${destination}`;
    this.capacity = bucketCapacity(bucket, options.headroom);
    this.coldLevel = options.coldStart === 'full' ? this.capacity : 0;
    this.busyMemoryMs = options.busyMemoryMs ?? BUSY_MEMORY_MS;
    // A bucket that never drains (drain 0) never frees a request: treat a step as a minute.
    this.drainStepMs = bucket.drainPerSecond > 0 ? Math.ceil(1000 / bucket.drainPerSecond) : 60_000;
  }

  get busy(): boolean {
    return Date.now() < this.busyUntil;
  }

  async acquire(options: { afterLull?: boolean } = {}): Promise<number> {
    const answer = await this.redis.eval(ACQUIRE, 1, this.key, this.bucket.drainPerSecond, this.capacity, this.coldLevel, options.afterLull ? '1' : '0');
    return this.read(answer);
  }

  async refused(extraPauseMs = 0): Promise<number> {
    const answer = await this.redis.eval(REFUSED, 1, this.key, this.drainStepMs, this.capacity, Math.max(0, Math.round(extraPauseMs)), this.busyMemoryMs);
    return this.read(answer);
  }

  private read(answer: unknown): number {
    const [wait, busyFor] = answer as [number, number];
    this.busyUntil = Date.now() + Number(busyFor);
    return Number(wait);
  }

  async pause(ms: number, options: { bucketFull?: boolean } = {}): Promise<void> {
    await this.redis.eval(PAUSE, 1, this.key, Math.max(0, Math.round(ms)), options.bucketFull ? '1' : '0', this.capacity);
  }

  async resume(): Promise<void> {
    await this.redis.hdel(this.key, 'pausedUntil');
  }
}
