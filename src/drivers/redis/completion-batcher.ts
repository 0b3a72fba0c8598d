/**
 * Sends the completions of one queue in batches: the first goes out at once (after the current
 * tick, so completions of the same tick share it); those that arrive while a call is in flight
 * wait for it and then go out together in one script call. Under load, one round trip finishes
 * many jobs; when idle, a completion costs one round trip as before.
 */
export class CompletionBatcher<Item> {
  private waiting: Array<{ item: Item; resolve: (ok: boolean) => void; reject: (e: unknown) => void }> = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly send: (items: Item[]) => Promise<boolean[]>,
    private readonly maxBatch = 256,
  ) {}

  add(item: Item): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.inFlight && !this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.waiting.length === 0) return;
    this.inFlight = true;
    const batch = this.waiting.splice(0, this.maxBatch);
    try {
      const results = await this.send(batch.map((b) => b.item));
      for (const [i, b] of batch.entries()) b.resolve(results[i] === true);
    } catch (error) {
      for (const b of batch) b.reject(error);
    } finally {
      this.inFlight = false;
      if (this.waiting.length > 0) void this.flush();
    }
  }
}
