-- 006 batches_schedules. Input: {schema}, the quoted schema name.
-- Progress and results of jobs, batches with exactly-once callbacks, and schedules whose ticks
-- are claimed by compare-and-set.

-- The last ctx.progress() value and the value handle() returned, as JSON text.
ALTER TABLE {schema}.jobs
    ADD COLUMN IF NOT EXISTS progress TEXT,
    ADD COLUMN IF NOT EXISTS result TEXT;

-- A batch. A job belongs to it through its meta ({"batch": id}). pending_jobs counts jobs not
-- finished yet. The callbacks are job specs (JSON with a ready-made id); each is set to NULL in
-- the same transaction that stores its job, so none is ever stored twice.
CREATE TABLE IF NOT EXISTS {schema}.jobwright_batches (
    id TEXT PRIMARY KEY,
    name TEXT,
    total_jobs INTEGER NOT NULL DEFAULT 0,
    pending_jobs INTEGER NOT NULL DEFAULT 0,
    failed_jobs INTEGER NOT NULL DEFAULT 0,
    allow_failures BOOLEAN NOT NULL DEFAULT FALSE,
    then_job JSONB,
    catch_job JSONB,
    finally_job JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    finished_at TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS idx_jobwright_batches_created ON {schema}.jobwright_batches (created_at);

-- A job of a batch finished for good (completed, or failed: by settle, by recovery on its last
-- attempt, or skipped because its batch was cancelled). The counters, the batch's own
-- cancellation (first failure without allowFailures) and the callbacks that became due move
-- inside the statement that finished the job: one transaction, so a crash keeps all or nothing.
-- The row lock on the batch serializes concurrent finishes of its jobs.
CREATE OR REPLACE FUNCTION {schema}.jobwright_batch_job_finished() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  batch_id TEXT;
  b {schema}.jobwright_batches%ROWTYPE;
  is_failure BOOLEAN := NEW.status = 'failed' AND COALESCE(NEW.error_message, '') NOT LIKE 'Cancelled%';
  due JSONB[] := '{}';
  spec JSONB;
BEGIN
  BEGIN
    batch_id := NEW.meta::jsonb ->> 'batch';
  EXCEPTION WHEN others THEN
    RETURN NULL; -- meta that is not JSON: not a batch job the engine wrote
  END;
  IF batch_id IS NULL THEN RETURN NULL; END IF;
  UPDATE {schema}.jobwright_batches
  SET pending_jobs = GREATEST(pending_jobs - 1, 0),
      failed_jobs = failed_jobs + (NEW.status = 'failed')::int,
      cancelled_at = CASE WHEN NEW.status = 'failed' AND NOT allow_failures AND cancelled_at IS NULL
                          THEN now() ELSE cancelled_at END,
      finished_at = CASE WHEN pending_jobs - 1 <= 0 THEN now() ELSE finished_at END
  WHERE id = batch_id
  RETURNING * INTO b;
  IF NOT FOUND THEN RETURN NULL; END IF;
  IF b.catch_job IS NOT NULL AND is_failure THEN due := due || b.catch_job; b.catch_job := NULL; END IF;
  IF b.then_job IS NOT NULL AND b.pending_jobs = 0 AND b.failed_jobs = 0 AND b.cancelled_at IS NULL THEN
    due := due || b.then_job; b.then_job := NULL;
  END IF;
  IF b.finally_job IS NOT NULL AND b.pending_jobs = 0 THEN due := due || b.finally_job; b.finally_job := NULL; END IF;
  IF cardinality(due) = 0 THEN RETURN NULL; END IF;
  UPDATE {schema}.jobwright_batches
  SET catch_job = b.catch_job, then_job = b.then_job, finally_job = b.finally_job
  WHERE id = batch_id;
  FOREACH spec IN ARRAY due LOOP
    INSERT INTO {schema}.jobs (id, queue_name, job_name, payload, max_attempts, priority,
                               timeout_seconds, timeout_ms, available_at, meta)
    VALUES (spec ->> 'id', spec ->> 'queueName', spec ->> 'jobName', (spec ->> 'payload')::jsonb,
            (spec ->> 'maxAttempts')::int, (spec ->> 'priority')::int,
            CASE WHEN spec ->> 'timeoutSeconds' IS NULL THEN NULL
                 ELSE GREATEST(1, ceil((spec ->> 'timeoutSeconds')::float8))::int END,
            CASE WHEN spec ->> 'timeoutSeconds' IS NULL THEN NULL
                 ELSE LEAST(2147483647, round((spec ->> 'timeoutSeconds')::float8 * 1000))::int END,
            now(), NULL)
    ON CONFLICT (id) DO NOTHING;
    -- Wake idle workers of the callback's queue (the driver's channel is jobwright_<schema>);
    -- delivered at commit, a hint only: polling finds the job anyway.
    PERFORM pg_notify('jobwright_' || TG_TABLE_SCHEMA, spec ->> 'queueName');
  END LOOP;
  RETURN NULL;
END;
$fn$;

DROP TRIGGER IF EXISTS jobwright_batch_job_finished ON {schema}.jobs;
CREATE TRIGGER jobwright_batch_job_finished
AFTER UPDATE OF status ON {schema}.jobs
FOR EACH ROW
WHEN (NEW.meta IS NOT NULL AND NEW.status IN ('completed', 'failed')
      AND OLD.status NOT IN ('completed', 'failed') AND strpos(NEW.meta, '"batch"') > 0)
EXECUTE FUNCTION {schema}.jobwright_batch_job_finished();

-- A failed job of a batch retried (retryFailed): it counts as pending again.
CREATE OR REPLACE FUNCTION {schema}.jobwright_batch_job_revived() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  batch_id TEXT;
BEGIN
  BEGIN
    batch_id := NEW.meta::jsonb ->> 'batch';
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
  IF batch_id IS NULL THEN RETURN NULL; END IF;
  UPDATE {schema}.jobwright_batches
  SET pending_jobs = pending_jobs + 1, failed_jobs = GREATEST(failed_jobs - 1, 0), finished_at = NULL
  WHERE id = batch_id;
  RETURN NULL;
END;
$fn$;

DROP TRIGGER IF EXISTS jobwright_batch_job_revived ON {schema}.jobs;
CREATE TRIGGER jobwright_batch_job_revived
AFTER UPDATE OF status ON {schema}.jobs
FOR EACH ROW
WHEN (NEW.meta IS NOT NULL AND OLD.status = 'failed' AND NEW.status IN ('pending', 'retrying')
      AND strpos(NEW.meta, '"batch"') > 0)
EXECUTE FUNCTION {schema}.jobwright_batch_job_revived();

-- Schedules, keyed by name. last_tick is the scheduled time of the last tick dispatched: a
-- scheduler stores a tick's job only if it moves last_tick forward (compare-and-set).
CREATE TABLE IF NOT EXISTS {schema}.jobwright_schedules (
    name TEXT PRIMARY KEY,
    cron TEXT NOT NULL,
    timezone TEXT,
    catch_up BOOLEAN NOT NULL DEFAULT FALSE,
    job TEXT NOT NULL,
    last_tick TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
