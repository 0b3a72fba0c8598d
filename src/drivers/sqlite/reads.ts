import type BetterSqlite3 from 'better-sqlite3';
import type { ListParams, ListResult, QueueCounts, ThroughputBucket } from '../contract.js';
import * as q from './queries.js';
import { type JobRow, toStoredJob } from './rows.js';

/** What the read verbs need from the driver: its statement cache, clock and read transactions. */
export interface SqliteReader {
  stmt(sql: string): BetterSqlite3.Statement;
  now(): number;
  /** Runs reads in one deferred transaction: one consistent snapshot, no write lock. */
  read<T>(fn: () => T): T;
}

const MINUTE = 60_000;

export function listJobs(
  r: SqliteReader,
  { queue, status, search, limit, offset, order = 'newest' }: ListParams,
): ListResult {
  const where: string[] = [];
  if (queue !== undefined) where.push('queue_name = @queue');
  if (status !== undefined) where.push('status = @status');
  if (search) where.push('(id = @search OR instr(job_name, @search) > 0 OR instr(payload, @search) > 0)');
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const params = { queue, status, search, limit: Math.trunc(limit), offset: Math.trunc(offset) };
  // One read transaction: the page and the total come from the same snapshot.
  return r.read(() => {
    const rows = r
      .stmt(
        `SELECT * FROM jobs ${filter} ORDER BY id ${order === 'oldest' ? 'ASC' : 'DESC'} LIMIT @limit OFFSET @offset`,
      )
      .all(params) as JobRow[];
    const total = r.stmt(`SELECT count(*) FROM jobs ${filter}`).pluck().get(params) as number;
    return { jobs: rows.map(toStoredJob), total };
  });
}

export function countJobs(r: SqliteReader, queue: string | undefined): QueueCounts[] {
  const { byStatus, oldest, now } = r.read(() => {
    const now = r.now();
    return {
      now,
      byStatus: r.stmt(q.byQueue(q.COUNT_BY_STATUS, queue)).all({ queue }) as Array<{
        queue_name: string;
        status: string;
        n: number;
      }>,
      oldest: r.stmt(q.byQueue(q.OLDEST_DUE, queue)).all({ queue, now }) as Array<{
        queue_name: string;
        oldest: number;
      }>,
    };
  });
  const result = new Map<string, QueueCounts>();
  const ensure = (name: string) => {
    let c = result.get(name);
    if (!c) {
      c = emptyCounts(name);
      result.set(name, c);
    }
    return c;
  };
  if (queue !== undefined) ensure(queue);
  for (const { queue_name, status, n } of byStatus) {
    const c = ensure(queue_name);
    if (status === 'pending') c.pendingJobs += n;
    else if (status === 'processing') c.processingJobs += n;
    else if (status === 'retrying') c.retryingJobs += n;
    else if (status === 'completed') c.completedJobs += n;
    else if (status === 'failed') c.failedJobs += n;
  }
  for (const row of oldest) ensure(row.queue_name).oldestPendingMs = Math.max(0, now - row.oldest);
  return [...result.values()].sort((a, b) => a.queueName.localeCompare(b.queueName));
}

/** Completed and failed jobs per minute, derived from processed_at and failed_at. */
export function throughputBuckets(
  r: SqliteReader,
  queue: string | undefined,
  minutes: number,
): ThroughputBucket[] {
  const current = Math.floor(r.now() / MINUTE);
  const first = current - (minutes - 1);
  const since = first * MINUTE;
  type Bucket = { minute: number; n: number };
  const { completed, failed } = r.read(() => ({
    completed: r.stmt(q.byQueue(q.COMPLETED_PER_MINUTE, queue)).all({ since, queue }) as Bucket[],
    failed: r.stmt(q.byQueue(q.FAILED_PER_MINUTE, queue)).all({ since, queue }) as Bucket[],
  }));
  const buckets: ThroughputBucket[] = [];
  const at = new Map<number, ThroughputBucket>();
  for (let m = first; m <= current; m++) {
    const bucket = { minute: new Date(m * MINUTE), completed: 0, failed: 0 };
    buckets.push(bucket);
    at.set(m, bucket);
  }
  for (const { minute, n } of completed) {
    const b = at.get(minute);
    if (b) b.completed += n;
  }
  for (const { minute, n } of failed) {
    const b = at.get(minute);
    if (b) b.failed += n;
  }
  return buckets;
}

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
