import {
  type AttemptOutcome,
  type AttemptRecord,
  type MetricCell,
  type MetricCellRow,
  type MetricPoint,
  type MetricQuery,
  metricCellOfRow,
  metricWindow,
  type RunningJob,
  seriesOfCode,
} from '../insights.js';
import type { PgQueryable } from './connection.js';

/**
 * Reads of the attempt history and metric cells that migration 007's trigger writes as each
 * started attempt ends (see 007_history_metrics.sql). Times by the database clock.
 */

/** Ids are ULIDs (26 characters); anything longer cannot be stored. */
const ID_LENGTH = 26;

export async function readAttempts(
  pool: PgQueryable,
  quoted: string,
  id: string,
  limit: number,
  /** Add a completed job's attempt from its row (history on: migration 008 records it there). */
  completedFromRow = true,
): Promise<AttemptRecord[]> {
  if (typeof id !== 'string' || id.length === 0 || id.length > ID_LENGTH) return [];
  const { rows } = await pool.query<{
    job_id: string;
    attempt: number;
    queue_name: string;
    job_name: string;
    worker_id: string | null;
    started_at: Date;
    finished_at: Date;
    wait_ms: string | null;
    outcome: string;
    error: string | null;
  }>(
    // A completed attempt is read from the job row (migration 008 stopped copying it), unless an
    // older version of the trigger already recorded it.
    `-- inputs: $1 job id, $2 limit, $3 add a completed attempt from the job row
     SELECT * FROM (
       SELECT job_id, attempt, queue_name, job_name, worker_id, started_at, finished_at, wait_ms,
              outcome, error, seq
       FROM ${quoted}.jobwright_attempts WHERE job_id = $1
       UNION ALL
       SELECT j.id, j.attempts, j.queue_name, j.job_name, j.reserved_by, j.reserved_at, j.processed_at,
              greatest(0, round(extract(epoch FROM (j.reserved_at - j.available_at)) * 1000))::bigint,
              'completed', NULL, 9223372036854775807
       FROM ${quoted}.jobs j
       WHERE $3 AND j.id = $1 AND j.status = 'completed' AND j.reserved_at IS NOT NULL AND j.processed_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM ${quoted}.jobwright_attempts a
                         WHERE a.job_id = j.id AND a.outcome = 'completed')
     ) attempts ORDER BY seq DESC LIMIT $2`,
    [id, Math.max(0, Math.trunc(limit)), completedFromRow],
  );
  return rows.map((r) => ({
    jobId: r.job_id.trimEnd(),
    attempt: r.attempt,
    queueName: r.queue_name,
    jobName: r.job_name,
    workerId: r.worker_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: Math.max(0, r.finished_at.getTime() - r.started_at.getTime()),
    waitMs: r.wait_ms === null ? null : Number(r.wait_ms),
    outcome: r.outcome as AttemptOutcome,
    error: r.error,
  }));
}

export async function readRunning(pool: PgQueryable, quoted: string, limit: number): Promise<RunningJob[]> {
  const { rows } = await pool.query<{
    id: string;
    queue_name: string;
    job_name: string;
    reserved_by: string | null;
    reserved_at: Date | null;
    attempts: number;
  }>(
    `-- inputs: $1 limit (idx_jobs_retry holds exactly the processing rows)
     SELECT id, queue_name, job_name, reserved_by, reserved_at, attempts FROM ${quoted}.jobs
     WHERE status = 'processing' ORDER BY lease_expires_at LIMIT $1`,
    [Math.max(0, Math.trunc(limit))],
  );
  return rows.map((r) => ({
    id: r.id.trimEnd(),
    queueName: r.queue_name,
    jobName: r.job_name,
    workerId: r.reserved_by,
    startedAt: r.reserved_at,
    attempts: r.attempts,
  }));
}

/** The window's filter by the database clock; $1 window minutes, $2 queue or NULL, $3 class or NULL. */
const WINDOW = `minute > floor(extract(epoch FROM now()) / 60) - $1
  AND ($2::text IS NULL OR queue_name = $2) AND ($3::text IS NULL OR job_name = $3)`;

function windowArgs(query: MetricQuery): unknown[] {
  return [metricWindow(query.minutes), query.queue ?? null, query.jobName ?? null];
}

export async function readMetricCells(
  pool: PgQueryable,
  quoted: string,
  query: MetricQuery,
): Promise<MetricCell[]> {
  const { rows } = await pool.query<MetricCellRow>(
    `-- inputs: $1 window minutes, $2 queue or NULL, $3 job class or NULL
     SELECT queue_name, job_name, series::text AS series, bucket, sum(n) AS n, sum(sum_ms) AS sum_ms, max(max_ms) AS max_ms
     FROM ${quoted}.jobwright_metrics WHERE ${WINDOW}
     GROUP BY queue_name, job_name, series, bucket`,
    windowArgs(query),
  );
  return rows.flatMap(metricCellOfRow);
}

export async function readMetricTimeline(
  pool: PgQueryable,
  quoted: string,
  query: MetricQuery,
): Promise<MetricPoint[]> {
  const { rows } = await pool.query<{
    minute: number;
    series: string;
    n: string;
    sum_ms: string;
    max_ms: string;
  }>(
    `-- inputs: $1 window minutes, $2 queue or NULL, $3 job class or NULL
     SELECT minute, series::text AS series, sum(n) AS n, sum(sum_ms) AS sum_ms, max(max_ms) AS max_ms
     FROM ${quoted}.jobwright_metrics WHERE ${WINDOW}
     GROUP BY minute, series ORDER BY minute`,
    windowArgs(query),
  );
  return rows.flatMap((r) => {
    const series = seriesOfCode(r.series);
    return series
      ? [
          {
            minute: new Date(r.minute * 60_000),
            series,
            count: Number(r.n),
            sumMs: Number(r.sum_ms),
            maxMs: Number(r.max_ms),
          },
        ]
      : [];
  });
}
