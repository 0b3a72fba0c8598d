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
 *
 * When another process holds the write lock, the transaction is not waited for inside SQLite
 * (which would block this process's event loop, heartbeats and running jobs included): it is
 * tried again a few milliseconds later, with the writes that arrived meanwhile, until
 * `busyTimeoutMs` has passed.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private busySince: number | null = null;
  private busyRetries = 0;

  constructor(
    /**
     * Runs `body` inside BEGIN IMMEDIATE ... COMMIT (throws if the transaction fails); with
     * `wait` false it fails at once with SQLITE_BUSY when another connection holds the lock.
     */
    private readonly transaction: (body: () => void, wait: boolean) => void,
    /** Runs one write inside a savepoint of the open transaction. */
    private readonly savepoint: (write: () => unknown) => unknown,
    /** Turns a store error into the error callers see. */
    private readonly translate: (error: unknown) => unknown,
    private readonly busyTimeoutMs: number,
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

  /** Commits what is queued now; `wait` (on close) waits for the lock inside SQLite instead. */
  flush(wait = false): void {
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
      }, wait);
    } catch (error) {
      if (!wait && isBusy(error) && this.retryLater(writes)) return;
      this.busySince = null;
      // Nothing was committed (busy past busy_timeout, disk full): every caller hears it.
      const translated = this.translate(error);
      for (const write of writes) write.reject(translated);
      return;
    }
    this.busySince = null;
    this.busyRetries = 0;
    writes.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(this.translate(outcome.error));
    });
  }

  /** Puts the writes back in front and tries again soon; false once busyTimeoutMs has passed. */
  private retryLater(writes: PendingWrite[]): boolean {
    const now = performance.now();
    this.busySince ??= now;
    if (now - this.busySince >= this.busyTimeoutMs) return false;
    this.pending = [...writes, ...this.pending];
    // 1, 2, 4, 8, then 8 ms with jitter: short, because the other writer's transaction is short.
    const delay = Math.min(8, 2 ** this.busyRetries++) * (0.5 + Math.random());
    this.scheduled = true;
    setTimeout(() => this.flush(), delay);
    return true;
  }
}

function isBusy(error: unknown): boolean {
  return String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY');
}
