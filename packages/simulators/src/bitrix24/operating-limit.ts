/**
 * Bitrix24's resource-intensity limit: handler time per (webhook, method) in ten one-minute
 * baskets. The check runs before a call and the charge after it, so the call that crosses the
 * limit still completes and only the next one is refused.
 */
const BASKET_MS = 60_000;
const WINDOW_MS = 10 * BASKET_MS;

interface Basket {
  startedAt: number;
  seconds: number;
}

export interface OperatingSnapshot {
  /** Seconds accumulated in the rolling window. */
  operating: number;
  /** Unix seconds when the oldest basket drops out; null when nothing is accumulated. */
  resetAt: number | null;
}

export class OperatingLimiter {
  private readonly baskets = new Map<string, Basket[]>();

  constructor(
    private readonly limitSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  isBlocked(key: string): boolean {
    return this.snapshot(key).operating > this.limitSeconds;
  }

  charge(key: string, seconds: number): OperatingSnapshot {
    const t = this.now();
    const list = this.live(key, t);
    const last = list[list.length - 1];
    if (last && t - last.startedAt < BASKET_MS) last.seconds += seconds;
    else list.push({ startedAt: t, seconds });
    this.baskets.set(key, list);
    return summarize(list);
  }

  snapshot(key: string): OperatingSnapshot {
    return summarize(this.live(key, this.now()));
  }

  reset(): void {
    this.baskets.clear();
  }

  private live(key: string, t: number): Basket[] {
    const list = this.baskets.get(key) ?? [];
    let expired = 0;
    while (expired < list.length && t - (list[expired] as Basket).startedAt >= WINDOW_MS) expired++;
    if (expired > 0) list.splice(0, expired);
    if (list.length === 0) this.baskets.delete(key);
    return list;
  }
}

function summarize(list: Basket[]): OperatingSnapshot {
  const first = list[0];
  if (!first) return { operating: 0, resetAt: null };
  const operating = list.reduce((sum, b) => sum + b.seconds, 0);
  return { operating, resetAt: Math.ceil((first.startedAt + WINDOW_MS) / 1000) };
}
