import type BetterSqlite3 from 'better-sqlite3';
import type { ListParams, ListResult, QueueCounts, ThroughputBucket } from '../contract.js';
import { CountsByQueue } from '../counts.js';
import { MINUTE_MS, minuteBuckets } from '../throughput.js';
import * as q from './queries.js';
import { type JobRow, toStoredJob } from './rows.js';

/** What the read verbs need from the driver: its statement cache, clock and read transactions. */
export interface SqliteReader {
  stmt(sql: string): BetterSqlite3.Statement;
  now(): number;
  /** Runs reads in one deferred transaction: one consistent snapshot, no write lock. */
  read<T>(fn: () => T): T;
}

export function listJobs(
  r: SqliteReader,
  { queue, status, search, limit, offset, order = 'newest' }: ListParams,
): ListResult {
  const where: string[] = [];
  if (queue !== undefined) where.push('queue_name = @queue');
  if (status !== undefined) where.push('status = @status');
  if (search) {
    where.push(
      "(id = @search OR instr(job_name, @search) > 0 OR instr(payload, @search) > 0 OR instr(coalesce(error_message, ''), @search) > 0)",
    );
  }
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
  const counts = new CountsByQueue();
  if (queue !== undefined) counts.get(queue);
  for (const { queue_name, status, n } of byStatus) counts.add(queue_name, status, n);
  for (const row of oldest) counts.get(row.queue_name).oldestPendingMs = Math.max(0, now - row.oldest);
  return counts.sorted();
}

/** Completed and failed jobs per minute, derived from processed_at and failed_at. */
export function throughputBuckets(
  r: SqliteReader,
  queue: string | undefined,
  minutes: number,
): ThroughputBucket[] {
  const current = Math.floor(r.now() / MINUTE_MS);
  const first = current - (minutes - 1);
  const since = first * MINUTE_MS;
  type Bucket = { minute: number; n: number };
  const { completed, failed } = r.read(() => ({
    completed: r.stmt(q.byQueue(q.COMPLETED_PER_MINUTE, queue)).all({ since, queue }) as Bucket[],
    failed: r.stmt(q.byQueue(q.FAILED_PER_MINUTE, queue)).all({ since, queue }) as Bucket[],
  }));
  const buckets = minuteBuckets(first, current);
  for (const { minute, n } of completed) {
    const b = buckets[minute - first];
    if (b) b.completed += n;
  }
  for (const { minute, n } of failed) {
    const b = buckets[minute - first];
    if (b) b.failed += n;
  }
  return buckets;
}
