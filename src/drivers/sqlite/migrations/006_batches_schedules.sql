-- 006 batches_schedules: progress and results of jobs, batches with exactly-once callbacks,
-- and schedules whose ticks are claimed by compare-and-set. No inputs; times are integer ms.

-- The last ctx.progress() value and the value handle() returned, as JSON text.
ALTER TABLE jobs ADD COLUMN progress TEXT;
ALTER TABLE jobs ADD COLUMN result TEXT;

-- A batch. A job belongs to it through its meta ({"batch": id}). pending_jobs counts jobs not
-- finished yet. The callbacks are job specs (JSON with a ready-made id); each is set to NULL in
-- the same transaction that stores its job, so none is ever stored twice.
CREATE TABLE jobwright_batches (
  id             TEXT    PRIMARY KEY NOT NULL,
  name           TEXT,
  total_jobs     INTEGER NOT NULL DEFAULT 0,
  pending_jobs   INTEGER NOT NULL DEFAULT 0,
  failed_jobs    INTEGER NOT NULL DEFAULT 0,
  allow_failures INTEGER NOT NULL DEFAULT 0,
  then_job       TEXT,
  catch_job      TEXT,
  finally_job    TEXT,
  created_at     INTEGER NOT NULL,
  finished_at    INTEGER,
  cancelled_at   INTEGER
);

-- A job of a batch finished for good (completed, or failed: by settle, by recovery on its last
-- attempt, or skipped because its batch was cancelled). The counters, the batch's own
-- cancellation (first failure without allowFailures) and the callbacks that became due all move
-- inside the statement that finished the job: one transaction, so a crash keeps all or nothing.
-- NEW.updated_at is the store clock the finishing statement used.
CREATE TRIGGER jobwright_batch_job_finished
AFTER UPDATE OF status ON jobs
WHEN NEW.meta IS NOT NULL AND NEW.status IN ('completed', 'failed')
  AND OLD.status NOT IN ('completed', 'failed')
  AND json_valid(NEW.meta) AND json_extract(NEW.meta, '$.batch') IS NOT NULL
BEGIN
  UPDATE jobwright_batches
  SET pending_jobs = max(pending_jobs - 1, 0),
      failed_jobs = failed_jobs + (NEW.status = 'failed'),
      cancelled_at = CASE WHEN NEW.status = 'failed' AND allow_failures = 0 AND cancelled_at IS NULL
                          THEN NEW.updated_at ELSE cancelled_at END,
      finished_at = CASE WHEN pending_jobs - 1 <= 0 THEN NEW.updated_at ELSE finished_at END
  WHERE id = json_extract(NEW.meta, '$.batch');

  -- catch: at the first failure that is not a cancellation; then: every job completed;
  -- finally: every job finished.
  INSERT INTO jobs (id, queue_name, job_name, payload, attempts, max_attempts, status, priority,
                    available_at, timeout_seconds, created_at, updated_at, meta)
  SELECT json_extract(c.spec, '$.id'), json_extract(c.spec, '$.queueName'),
         json_extract(c.spec, '$.jobName'), json_extract(c.spec, '$.payload'), 0,
         json_extract(c.spec, '$.maxAttempts'), 'pending', json_extract(c.spec, '$.priority'),
         NEW.updated_at, json_extract(c.spec, '$.timeoutSeconds'), NEW.updated_at, NEW.updated_at, NULL
  FROM (
    SELECT catch_job AS spec FROM jobwright_batches
    WHERE id = json_extract(NEW.meta, '$.batch') AND catch_job IS NOT NULL
      AND NEW.status = 'failed' AND COALESCE(NEW.error_message, '') NOT LIKE 'Cancelled%'
    UNION ALL
    SELECT then_job FROM jobwright_batches
    WHERE id = json_extract(NEW.meta, '$.batch') AND then_job IS NOT NULL
      AND pending_jobs = 0 AND failed_jobs = 0 AND cancelled_at IS NULL
    UNION ALL
    SELECT finally_job FROM jobwright_batches
    WHERE id = json_extract(NEW.meta, '$.batch') AND finally_job IS NOT NULL AND pending_jobs = 0
  ) c;

  UPDATE jobwright_batches
  SET catch_job = CASE WHEN NEW.status = 'failed' AND COALESCE(NEW.error_message, '') NOT LIKE 'Cancelled%'
                       THEN NULL ELSE catch_job END,
      then_job = CASE WHEN pending_jobs = 0 AND failed_jobs = 0 AND cancelled_at IS NULL THEN NULL ELSE then_job END,
      finally_job = CASE WHEN pending_jobs = 0 THEN NULL ELSE finally_job END
  WHERE id = json_extract(NEW.meta, '$.batch');
END;

-- A failed job of a batch retried (retryFailed): it counts as pending again.
CREATE TRIGGER jobwright_batch_job_revived
AFTER UPDATE OF status ON jobs
WHEN NEW.meta IS NOT NULL AND OLD.status = 'failed' AND NEW.status IN ('pending', 'retrying')
  AND json_valid(NEW.meta) AND json_extract(NEW.meta, '$.batch') IS NOT NULL
BEGIN
  UPDATE jobwright_batches
  SET pending_jobs = pending_jobs + 1, failed_jobs = max(failed_jobs - 1, 0), finished_at = NULL
  WHERE id = json_extract(NEW.meta, '$.batch');
END;

CREATE INDEX idx_jobwright_batches_created ON jobwright_batches (created_at);

-- Schedules, keyed by name. last_tick is the scheduled time of the last tick dispatched: a
-- scheduler stores a tick's job only if it moves last_tick forward (compare-and-set).
CREATE TABLE jobwright_schedules (
  name       TEXT    PRIMARY KEY NOT NULL,
  cron       TEXT    NOT NULL,
  timezone   TEXT,
  catch_up   INTEGER NOT NULL DEFAULT 0,
  job        TEXT    NOT NULL,
  last_tick  INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
