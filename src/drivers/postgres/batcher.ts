/**
 * Group commit: calls that arrive while a flush is running wait and go out together in the
 * next one, so 50 concurrent single enqueues cost a few commits instead of 50. A call that
 * finds the batcher idle is flushed at once: grouping never adds latency to a lone call.
 */
export class Batcher<T, R> {
  private waiting: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private readonly idle: Array<() => void> = [];
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    /** Runs one batch; resolves with one result per item, in order. */
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
    /**
     * Wait for the end of the event-loop turn before sending, so calls made in the same turn
     * (the completions of a batch of jobs that ran together) share one statement.
     */
    private readonly endOfTurn = false,
  ) {}

  private scheduled = false;

  add(item: T): Promise<R> {
    const promise = new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.endOfTurn) this.pump();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
    const tracked = promise.then(
      () => {},
      () => {},
    );
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
    return promise;
  }

  /** Resolves once every item added before this call has been flushed (or failed). */
  async settled(): Promise<void> {
    if (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Resolves once nothing is waiting or in flight. */
  async drain(): Promise<void> {
    while (this.inFlight > 0 || this.waiting.length > 0) await new Promise<void>((r) => this.idle.push(r));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.flush(batch.map((w) => w.item))
        .then(
          (results) => {
            batch.forEach((w, i) => {
              w.resolve(results[i] as R);
            });
          },
          (error: unknown) => {
            for (const w of batch) w.reject(error);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.inFlight === 0 && this.waiting.length === 0) for (const r of this.idle.splice(0)) r();
        });
    }
  }
}
