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
    this.setLevel(0);
  }

  /**
   * Puts the counter where other traffic (another app, an earlier process) left it. 'full' is the
   * highest it ever reaches, limit + 1 (a request is admitted at the limit): the next request is
   * refused, and one is admitted again after exactly one drain step (1/drainPerSecond s).
   */
  setLevel(level: number | 'full'): void {
    this.level = level === 'full' ? this.settings.limit + 1 : Math.max(0, level);
    this.updatedAt = this.now();
  }

  private drain(): void {
    const t = this.now();
    const elapsedSeconds = Math.max(0, t - this.updatedAt) / 1000;
    this.level = Math.max(0, this.level - elapsedSeconds * this.settings.drainPerSecond);
    this.updatedAt = t;
  }
}
