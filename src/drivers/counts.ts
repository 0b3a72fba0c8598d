import type { QueueCounts } from './contract.js';

/** A queue with no jobs: every count zero, no pending age. */
function emptyCounts(queueName: string): QueueCounts {
  return {
    queueName,
    pendingJobs: 0,
    processingJobs: 0,
    retryingJobs: 0,
    completedJobs: 0,
    failedJobs: 0,
    oldestPendingMs: null,
  };
}

/** Per-queue counts filled in row by row (or group by group), the way every SQL and in-memory driver reads them. */
export class CountsByQueue {
  private readonly byQueue = new Map<string, QueueCounts>();

  /** The counts of one queue, created empty on first use (a filtered queue is listed even with no jobs). */
  get(queueName: string): QueueCounts {
    let c = this.byQueue.get(queueName);
    if (!c) {
      c = emptyCounts(queueName);
      this.byQueue.set(queueName, c);
    }
    return c;
  }

  /** Adds n jobs of a status; a status no code knows only makes its queue appear. */
  add(queueName: string, status: string, n: number): QueueCounts {
    const c = this.get(queueName);
    if (status === 'pending') c.pendingJobs += n;
    else if (status === 'processing') c.processingJobs += n;
    else if (status === 'retrying') c.retryingJobs += n;
    else if (status === 'completed') c.completedJobs += n;
    else if (status === 'failed') c.failedJobs += n;
    return c;
  }

  /** Every queue seen, by name. */
  sorted(): QueueCounts[] {
    return [...this.byQueue.values()].sort((a, b) => a.queueName.localeCompare(b.queueName));
  }
}
