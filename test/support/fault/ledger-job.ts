import { Job, type JobContext } from '../../../src/index.js';
import { appendLedger } from './ledger.js';

export interface LedgerJobOptions {
  /** How long handle() works, in ms. */
  sleepMs?: number;
  /** Keep working when the signal aborts (a handler that ignores cancellation). */
  ignoreAbort?: boolean;
  /** SIGKILL the worker process from inside handle(), on every attempt. */
  killProcess?: boolean;
  maxAttempts?: number;
}

/** Job numbers by id, for the worker's event listeners, which only see the id. */
export const jobNumbers = new Map<string, number>();

/** The ledger file of this process; set by the worker script before any job runs. */
export const ledgerTarget = { path: '' };

/** A test job that writes `start` and `end` lines (number, attempt, pid) to the ledger. */
export class LedgerJob extends Job {
  constructor(
    public n: number,
    public options: LedgerJobOptions = {},
  ) {
    super();
  }

  override jobName(): string {
    return 'fault.LedgerJob';
  }

  override queueName(): string {
    return 'fault';
  }

  override maxAttempts(): number {
    return this.options.maxAttempts ?? 3;
  }

  override retryDelay(): number {
    return 0;
  }

  override timeout(): number | null {
    return 60;
  }

  async handle(ctx: JobContext): Promise<void> {
    jobNumbers.set(ctx.jobId, this.n);
    appendLedger(ledgerTarget.path, { kind: 'start', n: this.n, jobId: ctx.jobId, attempt: ctx.attempt });
    if (this.options.killProcess) process.kill(process.pid, 'SIGKILL');
    const ms = this.options.sleepMs ?? 0;
    if (ms > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        if (!this.options.ignoreAbort) {
          ctx.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              reject(ctx.signal.reason);
            },
            { once: true },
          );
        }
      });
    }
    appendLedger(ledgerTarget.path, { kind: 'end', n: this.n, jobId: ctx.jobId, attempt: ctx.attempt });
  }
}
