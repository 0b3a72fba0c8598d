interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: the writes asked for within one turn of the event loop run in one
 * BEGIN IMMEDIATE transaction, each in its own savepoint, and each caller's promise settles
 * after the COMMIT. SQLite's cost is per commit (every commit appends each page it touched
 * to the WAL), so twenty completions that finish together cost one commit instead of twenty,
 * and the write lock is taken once instead of twenty times. A write that fails rolls back
 * its savepoint only: the others still commit.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private scheduled = false;

  constructor(
    /** Runs `body` inside BEGIN IMMEDIATE ... COMMIT (throws if the transaction fails). */
    private readonly transaction: (body: () => void) => void,
    /** Runs one write inside a savepoint of the open transaction. */
    private readonly savepoint: (write: () => unknown) => unknown,
    /** Turns a store error into the error callers see. */
    private readonly translate: (error: unknown) => unknown,
  ) {}

  /** Queues a write for this turn's transaction; resolves with its result once committed. */
  submit<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (before closing the connection). */
  flush(): void {
    this.scheduled = false;
    const writes = this.pending;
    if (writes.length === 0) return;
    this.pending = [];
    const outcomes: Outcome[] = [];
    // A lone write needs no savepoint: if it fails, the whole transaction is only its own.
    const isolate = writes.length > 1 ? this.savepoint : (run: () => unknown) => run();
    try {
      this.transaction(() => {
        for (const write of writes) {
          try {
            outcomes.push({ ok: true, value: isolate(write.run) });
          } catch (error) {
            if (writes.length === 1) throw error;
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // Nothing was committed (busy past busy_timeout, disk full): every caller hears it.
      const translated = this.translate(error);
      for (const write of writes) write.reject(translated);
      return;
    }
    writes.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(this.translate(outcome.error));
    });
  }

  /** Fails what is still queued (the connection is closing without it). */
  abandon(error: unknown): void {
    const writes = this.pending;
    this.pending = [];
    for (const write of writes) write.reject(error);
  }
}
