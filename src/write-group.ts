/**
 * Grouped writes: items added within one turn of the event loop go out together in one call,
 * and those that arrive while calls are in flight wait and go out together in the next one.
 * Each item gets its own result or error: `flush` answers per item.
 */
export class WriteGroup<T, R> {
  private waiting: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly idle: Array<() => void> = [];

  constructor(
    /** Writes one group; resolves with one settled result per item, in order. */
    private readonly flush: (items: T[]) => Promise<Array<PromiseSettledResult<R>>>,
    private readonly maxInFlight: number,
    private readonly maxGroup: number,
  ) {}

  /** Items waiting or being written. */
  get size(): number {
    return this.waiting.length + this.inFlightItems;
  }
  private inFlightItems = 0;

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Resolves once nothing is waiting or being written. */
  async drain(): Promise<void> {
    while (this.inFlight > 0 || this.waiting.length > 0) {
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      // Split a burst between the free calls, so the store works on one while the next fills.
      const free = this.maxInFlight - this.inFlight;
      const size = Math.min(this.maxGroup, Math.max(1, Math.ceil(this.waiting.length / free)));
      const group = this.waiting.splice(0, size);
      this.inFlight++;
      this.inFlightItems += group.length;
      this.flush(group.map((w) => w.item))
        .then(
          (results) => {
            group.forEach((w, i) => {
              const r = results[i];
              if (r?.status === 'fulfilled') w.resolve(r.value);
              else w.reject(r ? r.reason : new Error('A grouped write gave no result for this item'));
            });
          },
          (error: unknown) => {
            for (const w of group) w.reject(error);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.inFlightItems -= group.length;
          if (this.inFlight === 0 && this.waiting.length === 0) for (const r of this.idle.splice(0)) r();
          // The next group goes out on the next turn, not now: what this write's callers do
          // at once (a worker's next jobs, started by this write and finished within a few
          // microtasks) joins it. Sent at once, the slots split into two cohorts that take
          // turns, each writing half of them (half the group per write at concurrency 10).
          this.schedule();
        });
    }
  }
}
