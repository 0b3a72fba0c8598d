import type {
  ActivityEntry,
  ActivityEvent,
  JobStatus,
  NewJob,
  ReservedJob,
  StoredJob,
  WorkerInfo,
} from '../contract.js';

/** A `jobs` row as better-sqlite3 returns it: snake_case, times in integer ms. */
export interface JobRow {
  id: string;
  queue_name: string;
  job_name: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  status: string;
  priority: number;
  available_at: number;
  reserved_at: number | null;
  processed_at: number | null;
  failed_at: number | null;
  error_message: string | null;
  timeout_seconds: number | null;
  created_at: number;
  updated_at: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  reserved_by: string | null;
  meta: string | null;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** The named parameters of a job row's INSERT (queries.ts), shared by plain and flow inserts. */
export function insertParams(job: NewJob, availableAt: number, now: number) {
  return {
    id: job.id,
    queueName: job.queueName,
    jobName: job.jobName,
    payload: job.payload,
    maxAttempts: job.maxAttempts,
    priority: job.priority,
    availableAt,
    timeoutSeconds: job.timeoutSeconds,
    now,
    meta: job.meta,
  };
}

export function toStoredJob(row: JobRow): StoredJob {
  return {
    id: row.id,
    queueName: row.queue_name,
    jobName: row.job_name,
    // A payload written as a BLOB or number by hand reaches the engine as text, which then
    // reports it as not valid JSON instead of the driver crashing on it.
    payload: typeof row.payload === 'string' ? row.payload : String(row.payload),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    // A status no code knows is passed through as is: list/find show it, reserve never picks it.
    status: row.status as JobStatus,
    priority: row.priority,
    availableAt: new Date(row.available_at),
    reservedAt: date(row.reserved_at),
    processedAt: date(row.processed_at),
    failedAt: date(row.failed_at),
    errorMessage: row.error_message,
    timeoutSeconds: row.timeout_seconds,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    meta: row.meta,
  };
}

export function toReservedJob(row: JobRow): ReservedJob {
  return { ...toStoredJob(row), leaseToken: row.lease_token! };
}

export interface WorkerRow {
  worker_id: string;
  host: string;
  pid: number;
  queues: string;
  concurrency: number;
  started_at: number;
  last_heartbeat_at: number;
  jobs_done: number;
  held: number | null;
}

export function toWorkerInfo(row: WorkerRow): WorkerInfo {
  let queues: string[] = [];
  try {
    const parsed: unknown = JSON.parse(row.queues);
    if (Array.isArray(parsed)) queues = parsed.map(String);
  } catch {
    // A damaged registry row still lists the worker, with no queues.
  }
  return {
    workerId: row.worker_id,
    host: row.host,
    pid: row.pid,
    queues,
    concurrency: row.concurrency,
    startedAt: new Date(row.started_at),
    lastHeartbeatAt: new Date(row.last_heartbeat_at),
    jobsDone: row.jobs_done,
    held: row.held ?? 0,
  };
}

export interface ActivityRow {
  id: string;
  job_id: string | null;
  job_name: string;
  queue_name: string;
  event: string;
  causer: string | null;
  properties: string;
  duration_ms: number | null;
  attempt: number;
  error: string | null;
  created_at: number;
}

export function toActivityEntry(row: ActivityRow): ActivityEntry {
  return {
    id: row.id,
    jobId: row.job_id,
    jobName: row.job_name,
    queueName: row.queue_name,
    event: row.event as ActivityEvent,
    causer: row.causer,
    properties: row.properties,
    durationMs: row.duration_ms,
    attempt: row.attempt,
    error: row.error,
    createdAt: new Date(row.created_at),
  };
}
