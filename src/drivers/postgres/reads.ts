import type {
  ActivityEntry,
  ListParams,
  ListResult,
  NewActivityEntry,
  QueueCounts,
  WorkerInfo,
} from '../contract.js';
import { CountsByQueue } from '../counts.js';
import type { PgQueryable } from './connection.js';
import { type JobRow, toStoredJob } from './rows.js';
import { jobColumns, type Statements } from './sql.js';

/** The read verbs of the CLI and the dashboard: filters, paging and row mapping. */

/** Ids are ULIDs (26 characters). */
const ID_LENGTH = 26;

export async function listJobs(
  pool: PgQueryable,
  quoted: string,
  { queue, status, search, limit, offset, order = 'newest' }: ListParams,
): Promise<ListResult> {
  const where: string[] = [];
  const values: unknown[] = [];
  const bind = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (queue) where.push(`queue_name = ${bind(queue)}`);
  if (status) where.push(`status = ${bind(status)}`);
  if (search) {
    const like = bind(`%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    // jsonb prints `"key": value`; also match the compact `"key":value` users copy from JSON.
    where.push(
      `(${search.length <= ID_LENGTH ? `id = ${bind(search)} OR ` : ''}job_name LIKE ${like} OR payload::text LIKE ${like} OR replace(replace(payload::text, '": ', '":'), ', "', ',"') LIKE ${like} OR error_message LIKE ${like})`,
    );
  }
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const [page, total] = await Promise.all([
    pool.query<JobRow>(
      `SELECT ${jobColumns()} FROM ${quoted}.jobs ${filter}
         ORDER BY id ${order === 'oldest' ? 'ASC' : 'DESC'} LIMIT ${bind(limit)} OFFSET ${bind(offset)}`,
      values,
    ),
    pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${quoted}.jobs ${filter}`,
      values.slice(0, values.length - 2),
    ),
  ]);
  return { jobs: page.rows.map(toStoredJob), total: total.rows[0]?.n ?? 0 };
}

export async function countJobs(pool: PgQueryable, sql: Statements, queue?: string): Promise<QueueCounts[]> {
  const { rows } = await pool.query<{
    queue_name: string;
    status: string;
    n: number;
    oldest_ms: number | string | null;
  }>(sql.counts, [queue ?? null]);
  const counts = new CountsByQueue();
  if (queue) counts.get(queue);
  for (const row of rows) {
    const c = counts.add(row.queue_name, row.status, row.n);
    if (row.oldest_ms !== null) {
      c.oldestPendingMs = Math.max(c.oldestPendingMs ?? 0, Math.round(Number(row.oldest_ms)));
    }
  }
  return counts.sorted();
}

export async function liveWorkers(pool: PgQueryable, sql: Statements): Promise<WorkerInfo[]> {
  const { rows } = await pool.query<{
    worker_id: string;
    host: string;
    pid: number;
    queues: string[];
    concurrency: number;
    jobs_done: string;
    held: number | null;
    started_at: Date;
    last_heartbeat_at: Date;
  }>(sql.workers);
  return rows.map((r) => ({
    workerId: r.worker_id,
    host: r.host,
    pid: r.pid,
    queues: r.queues,
    concurrency: r.concurrency,
    startedAt: r.started_at,
    lastHeartbeatAt: r.last_heartbeat_at,
    jobsDone: Number(r.jobs_done),
    held: r.held ?? 0,
  }));
}

export async function insertActivity(
  pool: PgQueryable,
  sql: Statements,
  entries: NewActivityEntry[],
): Promise<void> {
  const col = <K extends keyof NewActivityEntry>(key: K) => entries.map((e) => e[key]);
  await pool.query(sql.logActivity, [
    col('id'),
    col('jobId'),
    col('jobName'),
    col('queueName'),
    col('event'),
    col('causer'),
    col('properties'),
    col('durationMs'),
    col('attempt'),
    col('error'),
  ]);
}

export async function readActivity(
  pool: PgQueryable,
  sql: Statements,
  jobId: string | undefined,
  limit: number,
): Promise<ActivityEntry[]> {
  const { rows } = await pool.query<{
    id: string;
    job_id: string | null;
    job_name: string;
    queue_name: string;
    event: ActivityEntry['event'];
    causer: string | null;
    properties: string;
    duration_ms: number | null;
    attempt: number;
    error: string | null;
    created_at: Date;
  }>(sql.activity, [jobId ?? null, limit]);
  return rows.map((r) => ({
    id: r.id,
    jobId: r.job_id,
    jobName: r.job_name,
    queueName: r.queue_name,
    event: r.event,
    causer: r.causer,
    properties: r.properties,
    durationMs: r.duration_ms,
    attempt: r.attempt,
    error: r.error,
    createdAt: r.created_at,
  }));
}
