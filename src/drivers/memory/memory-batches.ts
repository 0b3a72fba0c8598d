import type { NewBatch, StoredBatch } from '../composition.js';
import { batchIdOfMeta } from '../composition.js';
import type { NewJob } from '../contract.js';
import { jobFromSpec } from '../job-spec.js';

interface BatchRow extends StoredBatch {
  thenJob: string | null;
  catchJob: string | null;
  finallyJob: string | null;
}

/**
 * The memory driver's batches: the same rules as the SQL triggers and the Redis scripts (see
 * src/drivers/composition.ts). The driver calls `jobFinished` in the same synchronous step as the
 * outcome, so counters and callbacks can never drift apart.
 */
export class MemoryBatches {
  private readonly rows = new Map<string, BatchRow>();

  create(batch: NewBatch, jobCount: number, now: number): void {
    this.rows.set(batch.id, {
      id: batch.id,
      name: batch.name,
      totalJobs: jobCount,
      pendingJobs: jobCount,
      failedJobs: 0,
      allowFailures: batch.allowFailures,
      createdAt: new Date(now),
      finishedAt: jobCount === 0 ? new Date(now) : null,
      cancelledAt: null,
      thenJob: batch.thenJob,
      catchJob: batch.catchJob,
      finallyJob: batch.finallyJob,
    });
  }

  /** Counts jobs in, if the batch is still running. */
  add(id: string, count: number): boolean {
    const row = this.rows.get(id);
    if (!row || row.finishedAt !== null || row.cancelledAt !== null) return false;
    row.totalJobs += count;
    row.pendingJobs += count;
    return true;
  }

  find(id: string): StoredBatch | null {
    const row = this.rows.get(id);
    return row ? publicBatch(row) : null;
  }

  cancel(id: string, now: number): boolean {
    const row = this.rows.get(id);
    if (!row || row.cancelledAt !== null || row.finishedAt !== null) return false;
    row.cancelledAt = new Date(now);
    return true;
  }

  list(limit: number, offset: number): StoredBatch[] {
    return [...this.rows.values()]
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(offset, offset + limit)
      .map(publicBatch);
  }

  /** A job finished for good: moves the counters and returns the callback jobs that became due. */
  jobFinished(
    meta: string | null,
    status: 'completed' | 'failed',
    error: string | null,
    now: number,
  ): NewJob[] {
    const row = this.rows.get(batchIdOfMeta(meta) ?? '');
    if (!row) return [];
    row.pendingJobs = Math.max(0, row.pendingJobs - 1);
    const failed = status === 'failed';
    if (failed) {
      row.failedJobs += 1;
      if (!row.allowFailures && row.cancelledAt === null) row.cancelledAt = new Date(now);
    }
    if (row.pendingJobs === 0) row.finishedAt = new Date(now);
    const due: string[] = [];
    if (row.catchJob !== null && failed && !(error ?? '').startsWith('Cancelled')) {
      due.push(row.catchJob);
      row.catchJob = null;
    }
    if (row.thenJob !== null && row.pendingJobs === 0 && row.failedJobs === 0 && row.cancelledAt === null) {
      due.push(row.thenJob);
      row.thenJob = null;
    }
    if (row.finallyJob !== null && row.pendingJobs === 0) {
      due.push(row.finallyJob);
      row.finallyJob = null;
    }
    return due.map(jobFromSpec);
  }

  /** A failed job of a batch was retried: it counts as pending again. */
  jobRevived(meta: string | null): void {
    const row = this.rows.get(batchIdOfMeta(meta) ?? '');
    if (!row) return;
    row.pendingJobs += 1;
    row.failedJobs = Math.max(0, row.failedJobs - 1);
    row.finishedAt = null;
  }
}

function publicBatch(row: BatchRow): StoredBatch {
  return {
    id: row.id,
    name: row.name,
    totalJobs: row.totalJobs,
    pendingJobs: row.pendingJobs,
    failedJobs: row.failedJobs,
    allowFailures: row.allowFailures,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
    cancelledAt: row.cancelledAt,
  };
}
