import type BetterSqlite3 from 'better-sqlite3';
import type { JobDataParams, NewBatch, StoredBatch, StoredSchedule } from '../composition.js';
import type { NewJob } from '../contract.js';

/**
 * Progress, results, batches and schedules on SQLite (schema: migrations/006). Batch counters and
 * callbacks move in the triggers of 006, inside the statement that finishes a job; this file
 * only stores, reads and claims.
 */
export interface SqliteAccess {
  stmt(sql: string): BetterSqlite3.Statement;
  now(): number;
  /** Runs `fn` in the group commit (BEGIN IMMEDIATE). */
  commit<T>(fn: () => T): Promise<T>;
  read<T>(fn: () => T): T;
  /** Stores jobs inside the current transaction: the queues of those due now, and the ids of unique ones. */
  insertJobs(jobs: NewJob[], now: number): { due: Set<string>; ids: string[] | undefined };
  wake(queue: string): void;
}

interface BatchRow {
  id: string;
  name: string | null;
  total_jobs: number;
  pending_jobs: number;
  failed_jobs: number;
  allow_failures: number;
  created_at: number;
  finished_at: number | null;
  cancelled_at: number | null;
}

interface ScheduleRow {
  name: string;
  cron: string;
  timezone: string | null;
  catch_up: number;
  job: string;
  last_tick: number | null;
}

const BATCH_COLUMNS =
  'id, name, total_jobs, pending_jobs, failed_jobs, allow_failures, created_at, finished_at, cancelled_at';

export class SqliteComposition {
  constructor(private readonly db: SqliteAccess) {}

  async saveJobData({ id, leaseToken, progress, result }: JobDataParams): Promise<boolean> {
    return this.db.commit(
      () =>
        this.db
          .stmt(`UPDATE jobs SET progress = coalesce(@progress, progress), result = coalesce(@result, result)
                 WHERE id = @id AND status = 'processing' AND lease_token = @leaseToken`)
          .run({ id, leaseToken, progress: progress ?? null, result: result ?? null }).changes > 0,
    );
  }

  async createBatch(batch: NewBatch, jobs: NewJob[]): Promise<void> {
    const due = await this.db.commit(() => {
      const now = this.db.now();
      this.db
        .stmt(`INSERT INTO jobwright_batches (id, name, total_jobs, pending_jobs, allow_failures, then_job,
                 catch_job, finally_job, created_at, finished_at)
               VALUES (@id, @name, @n, @n, @allowFailures, @thenJob, @catchJob, @finallyJob, @now,
                 CASE WHEN @n = 0 THEN @now END)`)
        .run({ ...batch, allowFailures: batch.allowFailures ? 1 : 0, n: jobs.length, now });
      return this.db.insertJobs(jobs, now).due;
    });
    for (const queue of due) this.db.wake(queue);
  }

  async addToBatch(id: string, jobs: NewJob[]): Promise<boolean> {
    const due = await this.db.commit(() => {
      const now = this.db.now();
      const added = this.db
        .stmt(`UPDATE jobwright_batches SET total_jobs = total_jobs + @n, pending_jobs = pending_jobs + @n
               WHERE id = @id AND finished_at IS NULL AND cancelled_at IS NULL`)
        .run({ id, n: jobs.length }).changes;
      return added > 0 ? this.db.insertJobs(jobs, now).due : null;
    });
    for (const queue of due ?? []) this.db.wake(queue);
    return due !== null;
  }

  findBatch(id: string): StoredBatch | null {
    const row = this.db.read(
      () =>
        this.db.stmt(`SELECT ${BATCH_COLUMNS} FROM jobwright_batches WHERE id = ?`).get(id) as
          | BatchRow
          | undefined,
    );
    return row ? toBatch(row) : null;
  }

  async cancelBatch(id: string): Promise<boolean> {
    return this.db.commit(
      () =>
        this.db
          .stmt(`UPDATE jobwright_batches SET cancelled_at = @now
                 WHERE id = @id AND cancelled_at IS NULL AND finished_at IS NULL`)
          .run({ id, now: this.db.now() }).changes > 0,
    );
  }

  listBatches(limit: number, offset: number): StoredBatch[] {
    const rows = this.db.read(
      () =>
        this.db
          .stmt(`SELECT ${BATCH_COLUMNS} FROM jobwright_batches ORDER BY id DESC LIMIT ? OFFSET ?`)
          .all(limit, offset) as BatchRow[],
    );
    return rows.map(toBatch);
  }

  async saveSchedule(s: Omit<StoredSchedule, 'lastTick'>): Promise<void> {
    await this.db.commit(() =>
      this.db
        .stmt(`INSERT INTO jobwright_schedules (name, cron, timezone, catch_up, job, created_at, updated_at)
               VALUES (@name, @cron, @timezone, @catchUp, @job, @now, @now)
               ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, timezone = excluded.timezone,
                 catch_up = excluded.catch_up, job = excluded.job, updated_at = excluded.updated_at`)
        .run({ ...s, catchUp: s.catchUp ? 1 : 0, now: this.db.now() }),
    );
  }

  async removeSchedule(name: string): Promise<boolean> {
    return this.db.commit(
      () => this.db.stmt('DELETE FROM jobwright_schedules WHERE name = ?').run(name).changes > 0,
    );
  }

  schedules(): StoredSchedule[] {
    const rows = this.db.read(
      () =>
        this.db
          .stmt(
            'SELECT name, cron, timezone, catch_up, job, last_tick FROM jobwright_schedules ORDER BY name',
          )
          .all() as ScheduleRow[],
    );
    return rows.map((r) => ({
      name: r.name,
      cron: r.cron,
      timezone: r.timezone,
      catchUp: r.catch_up === 1,
      job: r.job,
      lastTick: r.last_tick === null ? null : new Date(r.last_tick),
    }));
  }

  async claimTick(name: string, tick: Date, job: NewJob): Promise<boolean> {
    const due = await this.db.commit(() => {
      const now = this.db.now();
      const claimed = this.db
        .stmt(`UPDATE jobwright_schedules SET last_tick = @tick, updated_at = @now
               WHERE name = @name AND (last_tick IS NULL OR last_tick < @tick)`)
        .run({ name, tick: tick.getTime(), now }).changes;
      return claimed > 0 ? this.db.insertJobs([job], now).due : null;
    });
    for (const queue of due ?? []) this.db.wake(queue);
    return due !== null;
  }
}

function toBatch(row: BatchRow): StoredBatch {
  return {
    id: row.id,
    name: row.name,
    totalJobs: row.total_jobs,
    pendingJobs: row.pending_jobs,
    failedJobs: row.failed_jobs,
    allowFailures: row.allow_failures === 1,
    createdAt: new Date(row.created_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    cancelledAt: row.cancelled_at === null ? null : new Date(row.cancelled_at),
  };
}
