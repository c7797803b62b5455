/**
 * Gathers items that arrive close together into one call: a batch goes when it is full or when the
 * first item in it has waited `lingerMs`. Each caller gets its own item's result, so a queue job
 * keeps its own success, retry or dead letter while sharing the request.
 */
export class MicroBatcher<T, R> {
  private pending: Array<{ item: T; resolve(result: R): void; reject(err: unknown): void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly maxSize: number,
    private readonly lingerMs: number,
    private readonly send: (items: T[]) => Promise<R[]>,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxSize);
      const run = this.send(batch.map((p) => p.item)).then(
        (results) => batch.forEach((p, i) => (i < results.length ? p.resolve(results[i]!) : p.reject(new Error('no result for this item')))),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
      const tracked = run.finally(() => this.running.delete(tracked));
      this.running.add(tracked);
    }
  }

  /** Sends what waits now and resolves when every batch has its answer. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.running]);
  }
}
