import type { JobDataParams, NewBatch, StoredBatch, StoredSchedule } from '../composition.js';
import type { NewJob, StoredJob } from '../contract.js';
import type { PgPoolLike, PgQueryable } from './connection.js';
import { storeError } from './pg-errors.js';
import { type JobRow, newJobArrays, toStoredJob } from './rows.js';
import { jobColumns } from './sql.js';

/**
 * Progress, results, batches and schedules on PostgreSQL (schema: migrations/006). Batch counters
 * and callbacks move in the triggers of 006, inside the statement that finishes a job; this file
 * only stores, reads and claims.
 */
interface BatchRow {
  id: string;
  name: string | null;
  total_jobs: number;
  pending_jobs: number;
  failed_jobs: number;
  allow_failures: boolean;
  created_at: Date;
  finished_at: Date | null;
  cancelled_at: Date | null;
}

interface ScheduleRow {
  name: string;
  cron: string;
  timezone: string | null;
  catch_up: boolean;
  job: string;
  last_tick: Date | null;
}

const BATCH_COLUMNS =
  'id, name, total_jobs, pending_jobs, failed_jobs, allow_failures, created_at, finished_at, cancelled_at';

export class PostgresComposition {
  constructor(
    private readonly pool: () => Promise<PgPoolLike>,
    private readonly s: string,
    /** The driver's enqueue statement ($1..$11 parallel arrays). */
    private readonly enqueueSql: string,
    /** Stores grouped (or unique) jobs with the flow columns, inside the caller's transaction. */
    private readonly flowEnqueue: (jobs: NewJob[], tx: PgQueryable) => Promise<string[]>,
  ) {}

  /** Stores jobs inside the transaction of `client`: grouped ones through the flow path. */
  private async insertJobs(client: PgQueryable, jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    if (jobs.some((j) => j.uniqueKey || j.group)) await this.flowEnqueue(jobs, client);
    else await client.query(this.enqueueSql, newJobArrays(jobs));
  }

  async find(id: string): Promise<StoredJob | null> {
    const { rows } = await (await this.pool()).query<
      JobRow & { progress: string | null; result: string | null }
    >(
      `-- inputs: $1 id
       SELECT ${jobColumns()}, progress, result FROM ${this.s}.jobs WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row ? { ...toStoredJob(row), progress: row.progress, result: row.result } : null;
  }

  async saveJobData({ id, leaseToken, progress, result }: JobDataParams): Promise<boolean> {
    if (!UUID.test(leaseToken)) return false;
    const { rowCount } = await (await this.pool()).query(
      `-- inputs: $1 id, $2 lease token, $3 progress or NULL, $4 result or NULL
       UPDATE ${this.s}.jobs SET progress = COALESCE($3, progress), result = COALESCE($4, result)
       WHERE id = $1 AND status = 'processing' AND lease_token = $2::uuid`,
      [id, leaseToken, progress ?? null, result ?? null],
    );
    return (rowCount ?? 0) > 0;
  }

  async createBatch(batch: NewBatch, jobs: NewJob[]): Promise<void> {
    await this.transaction(async (q, client) => {
      await q(
        `-- inputs: $1 id, $2 name, $3 job count, $4 allow failures, $5..$7 callback specs
         INSERT INTO ${this.s}.jobwright_batches
           (id, name, total_jobs, pending_jobs, allow_failures, then_job, catch_job, finally_job, finished_at)
         VALUES ($1, $2, $3, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, CASE WHEN $3 = 0 THEN now() END)`,
        [
          batch.id,
          batch.name,
          jobs.length,
          batch.allowFailures,
          batch.thenJob,
          batch.catchJob,
          batch.finallyJob,
        ],
      );
      await this.insertJobs(client, jobs);
    });
  }

  async addToBatch(id: string, jobs: NewJob[]): Promise<boolean> {
    return this.transaction(async (q, client) => {
      const { rowCount } = await q(
        `-- inputs: $1 batch id, $2 job count
         UPDATE ${this.s}.jobwright_batches SET total_jobs = total_jobs + $2, pending_jobs = pending_jobs + $2
         WHERE id = $1 AND finished_at IS NULL AND cancelled_at IS NULL`,
        [id, jobs.length],
      );
      if ((rowCount ?? 0) === 0) return false;
      await this.insertJobs(client, jobs);
      return true;
    });
  }

  async findBatch(id: string): Promise<StoredBatch | null> {
    const { rows } = await (await this.pool()).query<BatchRow>(
      `SELECT ${BATCH_COLUMNS} FROM ${this.s}.jobwright_batches WHERE id = $1`,
      [id],
    );
    return rows[0] ? toBatch(rows[0]) : null;
  }

  async cancelBatch(id: string): Promise<boolean> {
    const { rowCount } = await (await this.pool()).query(
      `UPDATE ${this.s}.jobwright_batches SET cancelled_at = now()
       WHERE id = $1 AND cancelled_at IS NULL AND finished_at IS NULL`,
      [id],
    );
    return (rowCount ?? 0) > 0;
  }

  async listBatches(limit: number, offset: number): Promise<StoredBatch[]> {
    const { rows } = await (await this.pool()).query<BatchRow>(
      `SELECT ${BATCH_COLUMNS} FROM ${this.s}.jobwright_batches ORDER BY id DESC LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    return rows.map(toBatch);
  }

  async saveSchedule(s: Omit<StoredSchedule, 'lastTick'>): Promise<void> {
    await (await this.pool()).query(
      `-- inputs: $1 name, $2 cron, $3 timezone, $4 catch up, $5 job spec
       INSERT INTO ${this.s}.jobwright_schedules (name, cron, timezone, catch_up, job)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, timezone = EXCLUDED.timezone,
         catch_up = EXCLUDED.catch_up, job = EXCLUDED.job, updated_at = now()`,
      [s.name, s.cron, s.timezone, s.catchUp, s.job],
    );
  }

  async removeSchedule(name: string): Promise<boolean> {
    const { rowCount } = await (await this.pool()).query(
      `DELETE FROM ${this.s}.jobwright_schedules WHERE name = $1`,
      [name],
    );
    return (rowCount ?? 0) > 0;
  }

  async schedules(): Promise<StoredSchedule[]> {
    const { rows } = await (await this.pool()).query<ScheduleRow>(
      `SELECT name, cron, timezone, catch_up, job, last_tick FROM ${this.s}.jobwright_schedules ORDER BY name`,
    );
    return rows.map((r) => ({
      name: r.name,
      cron: r.cron,
      timezone: r.timezone,
      catchUp: r.catch_up,
      job: r.job,
      lastTick: r.last_tick,
    }));
  }

  /** Compare-and-set of the last tick and the insert of its job, in one transaction. */
  async claimTick(name: string, tick: Date, job: NewJob): Promise<boolean> {
    return this.transaction(async (q, client) => {
      const { rowCount } = await q(
        `-- inputs: $1 name, $2 tick
         UPDATE ${this.s}.jobwright_schedules SET last_tick = $2, updated_at = now()
         WHERE name = $1 AND (last_tick IS NULL OR last_tick < $2)`,
        [name, tick],
      );
      if ((rowCount ?? 0) === 0) return false;
      await this.insertJobs(client, [job]);
      return true;
    });
  }

  private async transaction<T>(
    body: (
      q: (text: string, values: unknown[]) => Promise<{ rowCount: number | null }>,
      client: PgQueryable,
    ) => Promise<T>,
  ): Promise<T> {
    const client = await (await this.pool()).connect();
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await body(async (text, values) => {
        const r = await client.query(text, values);
        return { rowCount: r.rowCount ?? null };
      }, client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failed = error as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw storeError(error);
    } finally {
      client.release(failed);
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toBatch(row: BatchRow): StoredBatch {
  return {
    id: row.id,
    name: row.name,
    totalJobs: row.total_jobs,
    pendingJobs: row.pending_jobs,
    failedJobs: row.failed_jobs,
    allowFailures: row.allow_failures,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    cancelledAt: row.cancelled_at,
  };
}
