import type { FlowControl } from '../drivers/flow-contract.js';
import type { ActiveRun } from '../worker/run-job.js';
import { CancelledError } from './run-flow.js';

/** How often a worker with running jobs asks the store whether one was cancelled. */
export const CANCEL_CHECK_MS = 400;

/**
 * Aborts running jobs that `dispatcher.cancel(id)` asked to stop, on whichever machine runs
 * them: while a worker runs jobs it asks the store every CANCEL_CHECK_MS, one small read for
 * all of them; an idle worker asks nothing.
 */
export class CancelWatch {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly store: FlowControl,
    private readonly runs: () => Iterable<ActiveRun>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), CANCEL_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.busy) return;
    const running = [...this.runs()].filter((run) => !run.handled && !run.released);
    if (running.length === 0) return;
    this.busy = true;
    try {
      const ids = new Set(
        await this.store.cancelRequested({
          leases: running.map((run) => ({ id: run.job.id, leaseToken: run.job.leaseToken })),
        }),
      );
      for (const run of running) if (ids.has(run.job.id)) run.interrupt(new CancelledError());
    } catch (error) {
      this.onError(error);
    } finally {
      this.busy = false;
    }
  }
}
