-- 004 jobwright_prefix_and_held. Input: {schema}, the quoted schema name.
-- The activity log becomes jobwright_activity_log, so it cannot collide with an application's
-- own activity_log. From a fresh install it is jobwright_activity; from an install that applied
-- the old 003 it is activity_log, recognised as jobwright's by its seq and properties columns.
DO $$
BEGIN
  IF to_regclass('{schema}.jobwright_activity') IS NOT NULL THEN
    ALTER TABLE {schema}.jobwright_activity RENAME TO jobwright_activity_log;
  ELSIF to_regclass('{schema}.jobwright_activity_log') IS NULL
    AND (SELECT count(*) FROM pg_attribute
         WHERE attrelid = to_regclass('{schema}.activity_log')
           AND attname IN ('seq', 'properties', 'causer', 'attempt') AND NOT attisdropped) = 4 THEN
    ALTER TABLE {schema}.activity_log RENAME TO jobwright_activity_log;
  END IF;
END $$;
ALTER INDEX IF EXISTS {schema}.idx_jobwright_activity_job RENAME TO idx_jobwright_activity_log_job;
ALTER INDEX IF EXISTS {schema}.idx_activity_log_job RENAME TO idx_jobwright_activity_log_job;

-- Held jobs (leased ahead, not started) per worker, for queue:workers.
ALTER TABLE {schema}.jobwright_workers ADD COLUMN IF NOT EXISTS held INTEGER NOT NULL DEFAULT 0;

-- Reservation with delayed jobs waiting: idx_jobs_queue_processing (the seed's name) now leads
-- with available_at, so the planner can seek the due rows however many delayed ones wait (a
-- (priority, id) index made it walk every delayed row: a 32 ms scan per poll with 100,000).
-- idx_jobs_queue_order keeps the reservation order for a large due backlog, where scanning in
-- order and stopping at LIMIT beats sorting every due row. Both are partial on waiting rows:
-- reserving a job removes it from both without adding entries.
DROP INDEX IF EXISTS {schema}.idx_jobs_queue_processing;
CREATE INDEX idx_jobs_queue_processing
    ON {schema}.jobs (queue_name, available_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX IF NOT EXISTS idx_jobs_queue_order
    ON {schema}.jobs (queue_name, priority, available_at, id) WHERE status IN ('pending', 'retrying');
