import {
  ATTEMPTS_KEPT_PER_JOB,
  type AttemptOutcome,
  type AttemptRecord,
  bucketSql,
  METRIC_MINUTES_KEPT,
  type MetricCell,
  type MetricCellRow,
  type MetricPoint,
  type MetricQuery,
  metricCellOfRow,
  metricWindow,
  type RunningJob,
  seriesOfCode,
} from '../insights.js';
import type { SqliteDatabase } from './open-database.js';
import type { SqliteReader } from './reads.js';

const MINUTE_MS = 60_000;

/**
 * The recording trigger: when an UPDATE moves a started job (reserved_at set) out of
 * 'processing' to completed, retrying or failed (settle, or recovery of a dead worker's job), it
 * adds the attempt to jobwright_attempts and counts its run and wait time in jobwright_metrics,
 * inside the same statement and transaction. A release sets reserved_at NULL, so a given-back
 * attempt is not recorded. TEMP: it lives on this connection only, so `history: false` on one
 * driver switches recording off for its own writes (the benchmark measures both in one run).
 */
function recorderSql(): string {
  const runMs = 'max(0, NEW.updated_at - NEW.reserved_at)';
  const waitMs = 'max(0, NEW.reserved_at - OLD.available_at)';
  const series = `CASE NEW.status WHEN 'completed' THEN 'c' WHEN 'failed' THEN 'f' ELSE 'r' END`;
  const upsert = `ON CONFLICT (minute, queue_name, job_name, series, bucket) DO UPDATE
      SET n = n + 1, sum_ms = sum_ms + excluded.sum_ms, max_ms = max(max_ms, excluded.max_ms)`;
  return `
CREATE TEMP TRIGGER IF NOT EXISTS jobwright_record_attempt AFTER UPDATE OF status ON main.jobs
WHEN OLD.status = 'processing' AND NEW.status IN ('completed', 'retrying', 'failed')
  AND NEW.reserved_at IS NOT NULL
BEGIN
  INSERT INTO jobwright_attempts (job_id, attempt, queue_name, job_name, worker_id, started_at,
                                  finished_at, wait_ms, outcome, error)
  VALUES (NEW.id, NEW.attempts, NEW.queue_name, NEW.job_name, OLD.reserved_by, NEW.reserved_at,
          NEW.updated_at, ${waitMs},
          CASE NEW.status WHEN 'completed' THEN 'completed' WHEN 'failed' THEN 'failed' ELSE 'retried' END,
          CASE WHEN NEW.status = 'completed' THEN NULL ELSE NEW.error_message END);
  INSERT INTO jobwright_metrics (minute, queue_name, job_name, series, bucket, n, sum_ms, max_ms)
  VALUES (NEW.updated_at / ${MINUTE_MS}, NEW.queue_name, NEW.job_name, ${series}, ${bucketSql(runMs)}, 1,
          ${runMs}, ${runMs}) ${upsert};
  INSERT INTO jobwright_metrics (minute, queue_name, job_name, series, bucket, n, sum_ms, max_ms)
  VALUES (NEW.updated_at / ${MINUTE_MS}, NEW.queue_name, NEW.job_name, 'w', ${bucketSql(waitMs)}, 1,
          ${waitMs}, ${waitMs}) ${upsert};
  -- Bounds: a job keeps its newest ${ATTEMPTS_KEPT_PER_JOB} attempts; cells older than a day and an hour go.
  DELETE FROM jobwright_attempts WHERE NEW.attempts > ${ATTEMPTS_KEPT_PER_JOB} AND job_id = NEW.id
    AND seq <= (SELECT seq FROM jobwright_attempts WHERE job_id = NEW.id ORDER BY seq DESC
                LIMIT 1 OFFSET ${ATTEMPTS_KEPT_PER_JOB});
  DELETE FROM jobwright_metrics WHERE minute < NEW.updated_at / ${MINUTE_MS} - ${METRIC_MINUTES_KEPT};
END`;
}

/** Installs (or, with `on` false, removes) the recording trigger on this connection. */
export function installRecorder(db: SqliteDatabase, on: boolean): void {
  if (on) db.exec(recorderSql());
  else db.exec('DROP TRIGGER IF EXISTS temp.jobwright_record_attempt');
}

export function readRunning(r: SqliteReader, limit: number): RunningJob[] {
  const rows = r
    .stmt(`SELECT id, queue_name, job_name, reserved_by, reserved_at, attempts FROM jobs INDEXED BY idx_jobs_retry
           WHERE status = 'processing' ORDER BY lease_expires_at LIMIT ?`)
    .all(Math.max(0, Math.trunc(limit))) as Array<{
    id: string;
    queue_name: string;
    job_name: string;
    reserved_by: string | null;
    reserved_at: number | null;
    attempts: number;
  }>;
  return rows.map((row) => ({
    id: row.id,
    queueName: row.queue_name,
    jobName: row.job_name,
    workerId: row.reserved_by,
    startedAt: row.reserved_at === null ? null : new Date(row.reserved_at),
    attempts: row.attempts,
  }));
}

interface AttemptRow {
  job_id: string;
  attempt: number;
  queue_name: string;
  job_name: string;
  worker_id: string | null;
  started_at: number;
  finished_at: number;
  wait_ms: number | null;
  outcome: string;
  error: string | null;
}

export function readAttempts(r: SqliteReader, id: string, limit: number): AttemptRecord[] {
  const rows = r
    .stmt('SELECT * FROM jobwright_attempts WHERE job_id = ? ORDER BY seq DESC LIMIT ?')
    .all(id, Math.max(0, Math.trunc(limit))) as AttemptRow[];
  return rows.map((row) => ({
    jobId: row.job_id,
    attempt: row.attempt,
    queueName: row.queue_name,
    jobName: row.job_name,
    workerId: row.worker_id,
    startedAt: new Date(row.started_at),
    finishedAt: new Date(row.finished_at),
    durationMs: Math.max(0, row.finished_at - row.started_at),
    waitMs: row.wait_ms,
    outcome: row.outcome as AttemptOutcome,
    error: row.error,
  }));
}

/** The window's filter: minutes from the store clock back, optional queue and class. */
function windowOf(r: SqliteReader, query: MetricQuery) {
  const last = Math.floor(r.now() / MINUTE_MS);
  return {
    where: `minute BETWEEN @first AND @last
      AND (@queue IS NULL OR queue_name = @queue) AND (@jobName IS NULL OR job_name = @jobName)`,
    params: {
      first: last - metricWindow(query.minutes) + 1,
      last,
      queue: query.queue ?? null,
      jobName: query.jobName ?? null,
    },
  };
}

export function readMetricCells(r: SqliteReader, query: MetricQuery): MetricCell[] {
  const { where, params } = windowOf(r, query);
  const rows = r
    .stmt(`SELECT queue_name, job_name, series, bucket, sum(n) AS n, sum(sum_ms) AS sum_ms, max(max_ms) AS max_ms
           FROM jobwright_metrics WHERE ${where} GROUP BY queue_name, job_name, series, bucket`)
    .all(params) as MetricCellRow[];
  return rows.flatMap(metricCellOfRow);
}

export function readMetricTimeline(r: SqliteReader, query: MetricQuery): MetricPoint[] {
  const { where, params } = windowOf(r, query);
  const rows = r
    .stmt(`SELECT minute, series, sum(n) AS n, sum(sum_ms) AS sum_ms, max(max_ms) AS max_ms
           FROM jobwright_metrics WHERE ${where} GROUP BY minute, series ORDER BY minute`)
    .all(params) as Array<{ minute: number; series: string; n: number; sum_ms: number; max_ms: number }>;
  return rows.flatMap((row) => {
    const series = seriesOfCode(row.series);
    return series
      ? [
          {
            minute: new Date(row.minute * MINUTE_MS),
            series,
            count: row.n,
            sumMs: row.sum_ms,
            maxMs: row.max_ms,
          },
        ]
      : [];
  });
}
