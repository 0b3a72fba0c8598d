/**
 * The SQLite driver's statements. Each names its inputs; every time is integer ms (`@now` is
 * the store clock read inside the transaction, after the write lock was taken). The schema is
 * in migrations/*.sql.
 */

/** An optional queue filter, resolved by `byQueue` before the statement is prepared. */
const ANY_QUEUE = '(@queue IS NULL OR queue_name = @queue)';

/**
 * The statement with its optional queue filter made concrete: `queue_name = @queue` for one
 * queue (so SQLite can seek on the queue_name prefix of an index), nothing for every queue.
 */
export function byQueue(sql: string, queue: string | undefined): string {
  return sql.replaceAll(ANY_QUEUE, queue === undefined ? '1 = 1' : 'queue_name = @queue');
}

/** Columns of an insert. Inputs: @id @queueName @jobName @payload @maxAttempts @priority @availableAt @timeoutSeconds @now @meta. */
export const INSERT_JOB = `
INSERT INTO jobs (id, queue_name, job_name, payload, attempts, max_attempts, status, priority,
                  available_at, timeout_seconds, created_at, updated_at, meta)
VALUES (@id, @queueName, @jobName, @payload, 0, @maxAttempts, 'pending', @priority,
        @availableAt, @timeoutSeconds, @now, @now, @meta)`;

/**
 * Whether anything is due (and the queue not paused), read without the write lock so that
 * idle polling by many workers does not serialize them. Inputs: @queue @now. INDEXED BY: available_at is checked in the
 * partial index itself; without statistics SQLite would pick idx_jobs_queue_status and read
 * every waiting row of the table.
 */
export const PEEK_DUE = `
SELECT 1 FROM jobs INDEXED BY idx_jobs_queue_processing
WHERE queue_name = @queue AND status IN ('pending', 'retrying') AND available_at <= @now
  AND NOT EXISTS (SELECT 1 FROM job_paused_queues WHERE queue_name = @queue)
LIMIT 1`;

/**
 * Leases up to @limit due jobs of @queue in (priority, id) order, held: a fresh random lease
 * token, attempts unchanged, reserved_at NULL. START then charges the ones that start now, in
 * the same transaction. Runs inside BEGIN IMMEDIATE: with one writer at a time, no two processes
 * can take the same row. A paused queue matches nothing.
 * Inputs: @queue @now @limit @leaseExpiresAt @workerId.
 */
export const RESERVE = `
UPDATE jobs
SET status = 'processing', reserved_at = NULL, updated_at = @now,
    lease_token = lower(hex(randomblob(16))), lease_expires_at = @leaseExpiresAt, reserved_by = @workerId
WHERE id IN (
  SELECT id FROM jobs INDEXED BY idx_jobs_queue_processing
  WHERE queue_name = @queue AND status IN ('pending', 'retrying') AND available_at <= @now
    AND NOT EXISTS (SELECT 1 FROM job_paused_queues WHERE queue_name = @queue)
  ORDER BY priority, id
  LIMIT @limit)
RETURNING *`;

/** Due jobs of @queue, counted up to @limit. Inputs: @queue @now @limit. */
export const COUNT_DUE = `
SELECT count(*) FROM (
  SELECT 1 FROM jobs INDEXED BY idx_jobs_queue_processing
  WHERE queue_name = @queue AND status IN ('pending', 'retrying') AND available_at <= @now
  LIMIT @limit)`;

/** The fence shared by every transition after a reservation. */
const HELD = `id = @id AND status = 'processing' AND lease_token = @leaseToken`;
const END_LEASE = `lease_token = NULL, lease_expires_at = NULL, reserved_by = NULL, updated_at = @now`;

/** A held job starts: its attempt is counted. Inputs: @id @leaseToken @now @leaseExpiresAt. */
export const START = `
UPDATE jobs SET attempts = attempts + 1, reserved_at = @now, updated_at = @now, lease_expires_at = @leaseExpiresAt
WHERE ${HELD} AND reserved_at IS NULL`;

/** Completion keeps reserved_at (when the last attempt started) and clears the last error. Inputs: @id @leaseToken @now. */
export const COMPLETE = `
UPDATE jobs SET status = 'completed', processed_at = @now, error_message = NULL, ${END_LEASE}
WHERE ${HELD}`;

/** Inputs: @id @leaseToken @now @availableAt @error. */
export const RETRY = `
UPDATE jobs SET status = 'retrying', error_message = @error, available_at = @availableAt, ${END_LEASE}
WHERE ${HELD}
RETURNING queue_name`;

/** Inputs: @id @leaseToken @now @error. The error and the status change are one statement. */
export const FAIL = `
UPDATE jobs SET status = 'failed', error_message = @error, failed_at = @now, ${END_LEASE}
WHERE ${HELD}`;

/**
 * Puts a job back: a held one (reserved_at NULL) as it was, a started one without counting its
 * attempt. Inputs: @id @leaseToken @now @availableAt.
 */
export const RELEASE = `
UPDATE jobs
SET attempts = attempts - (reserved_at IS NOT NULL),
    status = CASE WHEN attempts - (reserved_at IS NOT NULL) > 0 THEN 'retrying' ELSE 'pending' END,
    available_at = @availableAt, reserved_at = NULL, ${END_LEASE}
WHERE ${HELD}
RETURNING queue_name`;

/** Inputs: @id @leaseToken @leaseExpiresAt. */
export const HEARTBEAT = `
UPDATE jobs SET lease_expires_at = @leaseExpiresAt
WHERE ${HELD}`;

/**
 * Reservations whose lease ran out. A held job (never started) goes back as it was: no attempt,
 * no failure. A started one is due again now (retrying) while attempts remain, failed on the
 * last: the attempt was counted when it started, so a job that kills its worker every time ends
 * failed after max_attempts instead of looping.
 * Inputs: @now @queue (null: every queue) @limit. Uses idx_jobs_retry.
 */
export const RECOVER_EXPIRED = `
UPDATE jobs
SET status = CASE WHEN reserved_at IS NULL THEN (CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END)
                  WHEN attempts >= max_attempts THEN 'failed' ELSE 'retrying' END,
    error_message = CASE WHEN reserved_at IS NULL THEN error_message
      ELSE 'Worker died during attempt ' || attempts || '/' || max_attempts || ' (its lease expired)' END,
    failed_at = CASE WHEN reserved_at IS NOT NULL AND attempts >= max_attempts THEN @now ELSE failed_at END,
    available_at = CASE WHEN reserved_at IS NOT NULL AND attempts >= max_attempts THEN available_at ELSE @now END,
    ${END_LEASE}
WHERE id IN (
  SELECT id FROM jobs INDEXED BY idx_jobs_retry
  WHERE status = 'processing' AND lease_expires_at <= @now AND (@queue IS NULL OR queue_name = @queue)
  ORDER BY lease_expires_at
  LIMIT @limit)
RETURNING *`;

/** A unique job is not revived while another live job holds its id (SPEC decisions). */
const UNIQUE_FREE = `NOT EXISTS (
  SELECT 1 FROM jobs o WHERE jobs.unique_key IS NOT NULL AND o.queue_name = jobs.queue_name
    AND o.unique_key = jobs.unique_key AND o.id <> jobs.id AND o.status IN ('pending', 'processing', 'retrying')
    AND (o.unique_until IS NULL OR o.unique_until > @now))`;

const RETRY_FAILED_SET = `
UPDATE jobs
SET status = 'pending', attempts = 0, failed_at = NULL, error_message = NULL,
    available_at = @now, updated_at = @now`;

/** Inputs: @id @queue (null: any) @now. */
export const RETRY_FAILED_ONE = `${RETRY_FAILED_SET}
WHERE id = @id AND status = 'failed' AND (@queue IS NULL OR queue_name = @queue) AND ${UNIQUE_FREE}
RETURNING queue_name`;

/** Inputs: @queue (null: every queue) @now. */
export const RETRY_FAILED_ALL = `${RETRY_FAILED_SET}
WHERE status = 'failed' AND (@queue IS NULL OR queue_name = @queue) AND ${UNIQUE_FREE}
RETURNING queue_name`;

/** Inputs: @queue (null: every queue). */
export const CLEAR_FAILED = `
DELETE FROM jobs WHERE status = 'failed' AND (@queue IS NULL OR queue_name = @queue)`;

/** Inputs: @id @queue (null: any). */
export const CLEAR_FAILED_ONE = `
DELETE FROM jobs WHERE id = @id AND status = 'failed' AND (@queue IS NULL OR queue_name = @queue)`;

/** Counts per queue and status (held jobs, leased but not started, count as pending). Inputs: @queue (null: all). */
export const COUNT_BY_STATUS = `
SELECT queue_name, CASE WHEN status = 'processing' AND reserved_at IS NULL THEN 'pending' ELSE status END AS status,
       count(*) AS n FROM jobs
WHERE (@queue IS NULL OR queue_name = @queue)
GROUP BY 1, 2`;

/** Oldest due waiting job per queue. Inputs: @queue (null: all) @now. */
export const OLDEST_DUE = `
SELECT queue_name, min(available_at) AS oldest FROM jobs
WHERE status IN ('pending', 'retrying') AND available_at <= @now AND (@queue IS NULL OR queue_name = @queue)
GROUP BY queue_name`;

/**
 * Finished jobs per minute since @since. Inputs: @since @queue (null: all). The unary `+` keeps
 * SQLite off idx_jobs_queue_status (every completed row) and on idx_jobs_processed_at (the window).
 */
export const COMPLETED_PER_MINUTE = `
SELECT processed_at / 60000 AS minute, count(*) AS n FROM jobs
WHERE +status = 'completed' AND processed_at >= @since AND (@queue IS NULL OR queue_name = @queue)
GROUP BY minute`;

export const FAILED_PER_MINUTE = `
SELECT failed_at / 60000 AS minute, count(*) AS n FROM jobs
WHERE status = 'failed' AND failed_at >= @since AND (@queue IS NULL OR queue_name = @queue)
GROUP BY minute`;

/** Inputs: @workerId @host @pid @queues (JSON) @concurrency @now @expiresAt @jobsDone @held. */
export const REGISTER_WORKER = `
INSERT INTO job_workers (worker_id, host, pid, queues, concurrency, started_at, last_heartbeat_at, expires_at, jobs_done, held)
VALUES (@workerId, @host, @pid, @queues, @concurrency, @now, @now, @expiresAt, @jobsDone, @held)
ON CONFLICT (worker_id) DO UPDATE SET
  host = excluded.host, pid = excluded.pid, queues = excluded.queues, concurrency = excluded.concurrency,
  last_heartbeat_at = excluded.last_heartbeat_at, expires_at = excluded.expires_at, jobs_done = excluded.jobs_done,
  held = excluded.held`;

/** Inputs: @now. */
export const DROP_LAPSED_WORKERS = `DELETE FROM job_workers WHERE expires_at <= @now`;

/** Inputs: @now. */
export const LIVE_WORKERS = `SELECT * FROM job_workers WHERE expires_at > @now ORDER BY started_at, worker_id`;

/** Inputs: the entry's fields and @createdAt. Idempotent, so a repeated batch adds nothing. */
export const INSERT_ACTIVITY = `
INSERT OR IGNORE INTO activity_log (id, job_id, job_name, queue_name, event, causer, properties, duration_ms, attempt, error, created_at)
VALUES (@id, @jobId, @jobName, @queueName, @event, @causer, @properties, @durationMs, @attempt, @error, @createdAt)`;
