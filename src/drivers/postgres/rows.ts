import type { JobStatus, NewJob, ReservedJob, StoredJob } from '../contract.js';

/** A jobs row as pg returns it for `jobColumns()`. */
export interface JobRow {
  id: string;
  queue_name: string;
  job_name: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  status: string;
  priority: number;
  available_at: Date;
  reserved_at: Date | null;
  processed_at: Date | null;
  failed_at: Date | null;
  error_message: string | null;
  timeout_seconds: number | null;
  timeout_ms: number | null;
  created_at: Date;
  updated_at: Date;
  meta: string | null;
  lease_token: string | null;
}

export function toStoredJob(row: JobRow): StoredJob {
  return {
    id: row.id.trimEnd(),
    queueName: row.queue_name,
    jobName: row.job_name,
    payload: row.payload,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    // A status no code knows is passed through as is; the engine never reserves such a row.
    status: row.status as JobStatus,
    priority: row.priority,
    availableAt: row.available_at,
    reservedAt: row.reserved_at,
    processedAt: row.processed_at,
    failedAt: row.failed_at,
    errorMessage: row.error_message,
    // timeout_ms keeps sub-second timeouts; rows written by other tools only have the seed's column.
    timeoutSeconds: row.timeout_ms !== null ? row.timeout_ms / 1000 : row.timeout_seconds,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    meta: row.meta,
  };
}

export function toReservedJob(row: JobRow): ReservedJob {
  return { ...toStoredJob(row), leaseToken: row.lease_token ?? '' };
}

/** The eleven parallel arrays of the enqueue statement. */
export function newJobArrays(jobs: NewJob[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 11 }, () => new Array(jobs.length));
  jobs.forEach((job, i) => {
    const t = job.timeoutSeconds;
    cols[0]![i] = job.id;
    cols[1]![i] = job.queueName;
    cols[2]![i] = job.jobName;
    cols[3]![i] = job.payload;
    cols[4]![i] = job.maxAttempts;
    cols[5]![i] = job.priority;
    cols[6]![i] = t === null ? null : Math.max(1, Math.ceil(t));
    cols[7]![i] = t === null ? null : Math.min(2_147_483_647, Math.round(t * 1000));
    cols[8]![i] = job.availableAt ? job.availableAt.toISOString() : null;
    cols[9]![i] = job.delayMs;
    cols[10]![i] = job.meta;
  });
  return cols;
}
