/**
 * Bitrix24's per-portal request counter: +1 per HTTP request, drains continuously, and refuses
 * (without counting) while it sits above the limit, so a client that backs off recovers.
 */
export interface BucketSettings {
  drainPerSecond: number;
  limit: number;
}

export class LeakyBucket {
  private level = 0;
  private updatedAt: number;

  constructor(
    private settings: BucketSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.updatedAt = now();
  }

  /** Admits the request (returns true and counts it) unless the counter is above the limit. */
  tryTake(): boolean {
    this.drain();
    if (this.level > this.settings.limit) return false;
    this.level += 1;
    return true;
  }

  currentLevel(): number {
    this.drain();
    return this.level;
  }

  configure(settings: BucketSettings): void {
    this.drain();
    this.settings = { ...settings };
  }

  reset(): void {
    this.level = 0;
    this.updatedAt = this.now();
  }

  private drain(): void {
    const t = this.now();
    const elapsedSeconds = Math.max(0, t - this.updatedAt) / 1000;
    this.level = Math.max(0, this.level - elapsedSeconds * this.settings.drainPerSecond);
    this.updatedAt = t;
  }
}
