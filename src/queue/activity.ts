import { ACTIVITY_EVENTS, type ActivityEvent, type ActivityLabels, type ActivitySink } from '../shared/metrics';
import type { RedisClient } from '../shared/redis-client';

/**
 * Time-bucketed counters for the console's overview, shared by every process through Redis: a hash
 * per minute (kept 2 hours, for the last hour) and one per hour (kept 8 days, for the last day and
 * week). Fields are `event|s|<source>` and `event|d|<destination>`, and `lat|<destination>|<bucket>`
 * for delivery-latency histograms, so counts from every process and bucket simply add up.
 *
 * Nothing is written on the request path: events are added up in memory and written by one pipeline
 * per process every second. A crash loses at most that second of counts; these are a dashboard's
 * figures (the status records and queues stay the truth), so that is the right trade against an
 * extra Redis round trip per lead.
 */

export type ActivityRange = 'hour' | 'day' | 'week';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const RANGES: Record<ActivityRange, { bucketMs: number; buckets: number; scale: 'm' | 'h' }> = {
  hour: { bucketMs: MINUTE, buckets: 60, scale: 'm' },
  day: { bucketMs: HOUR, buckets: 24, scale: 'h' },
  week: { bucketMs: HOUR, buckets: 168, scale: 'h' },
};
const TTL_SECONDS = { m: 2 * 3600, h: 8 * 24 * 3600 } as const;

/** Upper bounds (ms) of the latency histogram's buckets; the last catches everything slower. */
export const LATENCY_BOUNDS_MS = [
  100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000, Infinity,
];

const FIELD_SEPARATOR = '|';
/** Label values come from config names (sources, destinations): a separator in one would split wrongly. */
const clean = (value: string) => value.replaceAll(FIELD_SEPARATOR, '_');

function bucketKey(prefix: string, scale: 'm' | 'h', start: number): string {
  return `${prefix}:activity:${scale}:${start}`;
}

export function latencyBucket(ms: number): number {
  return LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
}

/** What a flush writes: counts per bucket start (minute), and the latest operating-limit reading per portal. */
interface Pending {
  counts: Map<number, Map<string, number>>;
  portals: Map<string, PortalReading>;
}

/** A destination's latest `time.operating` as a worker saw it in a Bitrix24 answer. */
export interface PortalReading {
  operatingSeconds: number;
  operatingResetAt?: number;
  at: string;
}

export function portalReadingKey(prefix: string, destination: string): string {
  return `${prefix}:activity:portal:${destination}`;
}

/** Adds events up in memory and writes them to Redis once a second in one pipeline. */
export class ActivityRecorder implements ActivitySink {
  private pending: Pending = { counts: new Map(), portals: new Map() };
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly intervalMs = 1000) {}

  count(event: ActivityEvent, labels: ActivityLabels, n = 1): void {
    if (n <= 0) return;
    if (labels.source) this.add(`${event}${FIELD_SEPARATOR}s${FIELD_SEPARATOR}${clean(labels.source)}`, n);
    if (labels.destination) this.add(`${event}${FIELD_SEPARATOR}d${FIELD_SEPARATOR}${clean(labels.destination)}`, n);
  }

  latency(destination: string, ms: number): void {
    this.add(`lat${FIELD_SEPARATOR}${clean(destination)}${FIELD_SEPARATOR}${latencyBucket(Math.max(0, ms))}`, 1);
  }

  portal(destination: string, reading: { operatingSeconds: number; operatingResetAt?: number }): void {
    this.pending.portals.set(destination, { ...reading, at: new Date().toISOString() });
  }

  private add(field: string, n: number): void {
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE;
    let fields = this.pending.counts.get(minute);
    if (!fields) this.pending.counts.set(minute, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + n);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  /** Writes what was counted; on failure the counts are kept for the next flush (Redis away for a while). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing?.catch(() => undefined);
    await this.flush().catch(() => undefined);
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    if (batch.counts.size === 0 && batch.portals.size === 0) return;
    this.pending = { counts: new Map(), portals: new Map() };
    const pipeline = this.redis.pipeline();
    for (const [minute, fields] of batch.counts) {
      const hour = Math.floor(minute / HOUR) * HOUR;
      for (const [scale, start] of [['m', minute], ['h', hour]] as const) {
        const key = bucketKey(this.prefix, scale, start);
        for (const [field, n] of fields) pipeline.hincrby(key, field, n);
        pipeline.expire(key, TTL_SECONDS[scale]);
      }
    }
    for (const [destination, reading] of batch.portals) {
      const key = portalReadingKey(this.prefix, destination);
      pipeline.hset(key, { operatingSeconds: String(reading.operatingSeconds), at: reading.at, ...(reading.operatingResetAt ? { operatingResetAt: String(reading.operatingResetAt) } : {}) });
      // Bitrix24 counts operating time over the last 10 minutes: an older reading says nothing.
      pipeline.expire(key, 600);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
    } catch (err) {
      this.restore(batch);
      throw err;
    }
  }

  /** HINCRBY is not idempotent: a failed pipeline may have applied part of the batch, so a retry may count some twice; dropping would undercount. */
  private restore(batch: Pending): void {
    for (const [minute, fields] of batch.counts) {
      for (const [field, n] of fields) {
        let current = this.pending.counts.get(minute);
        if (!current) this.pending.counts.set(minute, (current = new Map()));
        current.set(field, (current.get(field) ?? 0) + n);
      }
    }
    for (const [destination, reading] of batch.portals) if (!this.pending.portals.has(destination)) this.pending.portals.set(destination, reading);
    // Bounded: a Redis away for hours keeps at most a few hours of minutes in memory.
    const minutes = [...this.pending.counts.keys()].sort((a, b) => a - b);
    for (const minute of minutes.slice(0, Math.max(0, minutes.length - 180))) this.pending.counts.delete(minute);
  }
}

export interface LatencySummary {
  count: number;
  /** Upper bound of the histogram bucket holding the percentile (ms); absent without deliveries. */
  p50Ms?: number;
  p95Ms?: number;
}

export interface ActivityWindow {
  range: ActivityRange;
  bucketMs: number;
  /** Start of each bucket (ms since epoch), oldest first; the last is the current, partial one. */
  starts: number[];
  /** Counts per event, per source and per destination, one number per bucket. */
  series: Record<ActivityEvent, { bySource: Record<string, number[]>; byDestination: Record<string, number[]> }>;
  /** Delivery latency (receipt to existence in Bitrix24) over the whole window, per destination and for all (`*`). */
  latency: Record<string, LatencySummary>;
}

export function percentile(histogram: number[], q: number): number | undefined {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    // The last bucket has no upper bound: it reads as "slower than a day".
    if (seen >= rank) return Math.min(LATENCY_BOUNDS_MS[i]!, LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 2]!);
  }
  return undefined;
}

/** Reads a window of buckets back: one pipeline of HGETALLs (at most 168). */
export async function readActivity(redis: RedisClient, prefix: string, range: ActivityRange, now = Date.now()): Promise<ActivityWindow> {
  const { bucketMs, buckets, scale } = RANGES[range];
  const current = Math.floor(now / bucketMs) * bucketMs;
  const starts = Array.from({ length: buckets }, (_, i) => current - (buckets - 1 - i) * bucketMs);
  const pipeline = redis.pipeline();
  for (const start of starts) pipeline.hgetall(bucketKey(prefix, scale, start));
  const replies = (await pipeline.exec()) ?? [];
  const series = Object.fromEntries(ACTIVITY_EVENTS.map((e) => [e, { bySource: {}, byDestination: {} }])) as ActivityWindow['series'];
  const histograms = new Map<string, number[]>();
  replies.forEach(([err, hash], index) => {
    if (err) throw err;
    for (const [field, value] of Object.entries((hash ?? {}) as Record<string, string>)) {
      const parts = field.split(FIELD_SEPARATOR);
      const n = Number(value);
      if (parts[0] === 'lat' && parts.length === 3) {
        for (const name of [parts[1]!, '*']) {
          const histogram = histograms.get(name) ?? new Array<number>(LATENCY_BOUNDS_MS.length).fill(0);
          histogram[Number(parts[2])] = (histogram[Number(parts[2])] ?? 0) + n;
          histograms.set(name, histogram);
        }
        continue;
      }
      const [event, dimension, name] = parts as [ActivityEvent, string, string];
      const entry = series[event];
      if (!entry || parts.length !== 3) continue;
      const table = dimension === 's' ? entry.bySource : entry.byDestination;
      (table[name] ??= new Array<number>(buckets).fill(0))[index] = n;
    }
  });
  const latency = Object.fromEntries(
    [...histograms].map(([name, histogram]) => {
      const count = histogram.reduce((a, b) => a + b, 0);
      const p50Ms = percentile(histogram, 0.5);
      const p95Ms = percentile(histogram, 0.95);
      return [name, { count, ...(p50Ms !== undefined ? { p50Ms } : {}), ...(p95Ms !== undefined ? { p95Ms } : {}) }];
    }),
  );
  return { range, bucketMs, starts, series, latency };
}

export async function readPortalReading(redis: RedisClient, prefix: string, destination: string): Promise<PortalReading | undefined> {
  const hash = await redis.hgetall(portalReadingKey(prefix, destination));
  if (!hash?.operatingSeconds) return undefined;
  return { operatingSeconds: Number(hash.operatingSeconds), at: hash.at ?? '', ...(hash.operatingResetAt ? { operatingResetAt: Number(hash.operatingResetAt) } : {}) };
}
