/**
 * Raises a BullMQ worker's concurrency one batch at a time from idle, instead of asking for all of it
 * at once.
 *
 * Why: BullMQ's worker takes jobs from Redis one after another (each `moveToActive` awaited before the
 * next) until it holds `concurrency` of them, and only then starts processing any. With 150 leads held
 * per standard portal and 20 portals on one worker, the first lead reached its portal's dispatcher
 * ~1.5 s after start (3,000 sequential round trips sharing one Redis): a first batch that could have
 * gone after one drain step waited three. Taking one batch first lets that batch go out while the rest
 * are being taken. Under load jobs are taken as others finish (`moveToFinished` returns the next one),
 * so the ramp only matters from idle: at start, and after the worker ran out of jobs.
 */
export interface ConcurrencyTarget {
  concurrency: number;
}

export class ConcurrencyRamp {
  private target: ConcurrencyTarget | undefined;
  private active = 0;
  /** Jobs started since the concurrency was last raised (or reset at idle). */
  private startedSinceStep = 0;
  private current: number;
  /** How much each step adds: one request's worth of leads. */
  private readonly step: number;

  constructor(
    /** The concurrency under load (the leads one process holds for the destination). */
    private readonly full: number,
    step: number,
  ) {
    this.step = Math.max(1, step);
    this.current = Math.min(full, this.step);
  }

  /** The concurrency to start the worker with. */
  get initial(): number {
    return this.current;
  }

  attach(target: ConcurrencyTarget): void {
    this.target = target;
    target.concurrency = this.current;
  }

  /** A job started: once as many have started as were asked for, ask for one step more. */
  started(): void {
    this.active += 1;
    this.startedSinceStep += 1;
    if (this.current < this.full && this.startedSinceStep >= this.step) this.set(Math.min(this.full, this.current + this.step));
  }

  /** A job ended: with none left the worker is idle, and the next burst ramps up again. */
  ended(): void {
    this.active = Math.max(0, this.active - 1);
    if (this.active === 0 && this.current > this.step) this.set(this.step);
  }

  private set(concurrency: number): void {
    this.current = concurrency;
    this.startedSinceStep = 0;
    if (this.target) this.target.concurrency = concurrency;
  }
}
