import type { JobContext } from '../../../src/index.js';
import { Job } from '../../../src/index.js';

/** Where runs are recorded; set by the worker process (the producer never runs jobs). */
export const ledger: { record: (event: string, n: number, attempt: number, jobId: string) => void } = {
  record: () => {},
};

/** A job of the fault tests: records when it starts and returns, sleeping in between. */
export class LedgerJob extends Job {
  constructor(
    public n = 0,
    public sleepMs = 0,
  ) {
    super();
  }
  override jobName() {
    return 'fault.Ledger';
  }
  override maxAttempts() {
    return 10;
  }
  override retryDelay() {
    return 0.05;
  }
  override async handle(ctx: JobContext) {
    ledger.record('start', this.n, ctx.attempt, ctx.jobId);
    await new Promise((resolve) => setTimeout(resolve, this.sleepMs));
    ledger.record('done', this.n, ctx.attempt, ctx.jobId);
  }
}
