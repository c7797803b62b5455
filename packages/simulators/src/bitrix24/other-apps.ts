import type { LeakyBucket } from './leaky-bucket';

/**
 * Other integrations calling the same portal. Bitrix24 keeps one request counter per portal (and
 * source address), so their requests fill the bucket leadgate draws on; a refused one is not counted,
 * as for any client. They run nothing in the CRM and do not appear in the call log: the portal's
 * owner sees them, leadgate only feels them.
 */
export class OtherApps {
  private timer: NodeJS.Timeout | undefined;
  private perSecond = 0;
  requests = 0;
  refused = 0;

  constructor(private readonly bucket: LeakyBucket) {}

  /** Steady load of `perSecond` requests (0 stops it); takes effect at once. */
  setLoad(perSecond: number): void {
    if (!(perSecond >= 0) || !Number.isFinite(perSecond) || perSecond > 1000) throw new Error('otherApps.requestsPerSecond must be a number from 0 to 1000');
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.perSecond = perSecond;
    if (perSecond === 0) return;
    this.timer = setInterval(() => {
      this.requests += 1;
      if (!this.bucket.tryTake()) this.refused += 1;
    }, 1000 / perSecond);
    // A simulator left running must not keep a test process alive.
    this.timer.unref();
  }

  load(): number {
    return this.perSecond;
  }

  /** Zeroes the counters; the load keeps running (it is part of the portal's setup, like its plan). */
  resetCounters(): void {
    this.requests = 0;
    this.refused = 0;
  }

  stop(): void {
    this.setLoad(0);
  }
}
