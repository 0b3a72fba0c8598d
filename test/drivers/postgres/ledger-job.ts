import { appendFileSync } from 'node:fs';
import { Job, type JobContext } from '../../../src/index.js';

/** The ledger file of this process; set by the worker process (the producer never runs jobs). */
export const ledgerFile = { path: '' };

export function writeLedger(event: string, n: number, attempt: number): void {
  if (!ledgerFile.path) return;
  appendFileSync(
    ledgerFile.path,
    `${JSON.stringify({ event, n, attempt, pid: process.pid, at: Date.now() })}\n`,
  );
}

/** A job of the fault tests: records in a file (outside the store under test) when it starts and returns. */
export class LedgerJob extends Job {
  constructor(
    public n = 0,
    public sleepMs = 0,
  ) {
    super();
  }
  override jobName() {
    return 'pgfault.Ledger';
  }
  override maxAttempts() {
    return 20;
  }
  override retryDelay() {
    return 0.05;
  }
  override async handle(ctx: JobContext) {
    writeLedger('start', this.n, ctx.attempt);
    await new Promise((resolve) => setTimeout(resolve, this.sleepMs));
    writeLedger('done', this.n, ctx.attempt);
  }
}
