/**
 * Sends the completions of one queue in batches: the first goes out at once (after the current
 * tick, so completions of the same tick share it); those that arrive while a call is in flight
 * wait and then go out together. With `maxInFlight` above 1 a burst is split between parallel
 * calls; measured on this project's 2-core machine that was no faster than one call at a time
 * (docs/redis.md), so the default stays 1.
 */
export class CompletionBatcher<Item> {
  private waiting: Array<{ item: Item; resolve: (ok: boolean) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly send: (items: Item[]) => Promise<boolean[]>,
    private readonly maxBatch = 256,
    private readonly maxInFlight = 1,
  ) {}

  add(item: Item): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.inFlight < this.maxInFlight && !this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const free = this.maxInFlight - this.inFlight;
      const size = Math.min(this.maxBatch, Math.ceil(this.waiting.length / free));
      void this.sendBatch(this.waiting.splice(0, size));
    }
  }

  private async sendBatch(
    batch: Array<{ item: Item; resolve: (ok: boolean) => void; reject: (e: unknown) => void }>,
  ): Promise<void> {
    this.inFlight++;
    try {
      const results = await this.send(batch.map((b) => b.item));
      for (const [i, b] of batch.entries()) b.resolve(results[i] === true);
    } catch (error) {
      for (const b of batch) b.reject(error);
    } finally {
      this.inFlight--;
      this.flush();
    }
  }
}
