-- 005 flow_control: unique jobs, groups, cancel, queue limits, middleware locks and counters.
-- No inputs.
-- The unique lock is the live job itself: a unique job's row holds its key while it is pending,
-- processing or retrying, and until unique_until (ms) when uniqueFor() is set.
ALTER TABLE jobs ADD COLUMN unique_key TEXT;
ALTER TABLE jobs ADD COLUMN unique_until INTEGER;
ALTER TABLE jobs ADD COLUMN group_key TEXT;
-- The lease whose run dispatcher.cancel() asked to stop; the worker holding it aborts the run.
ALTER TABLE jobs ADD COLUMN cancel_lease TEXT;
-- Partial: rows of jobs that are not unique never enter it.
CREATE INDEX idx_jobs_unique ON jobs (queue_name, unique_key)
  WHERE unique_key IS NOT NULL AND status IN ('pending', 'processing', 'retrying');

CREATE TABLE jobwright_queue_limits (
  queue_name TEXT PRIMARY KEY NOT NULL,
  limits     TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Starts of queues with a rate limit, for "at most max starts in any window".
CREATE TABLE jobwright_queue_starts (
  queue_name TEXT NOT NULL,
  group_key  TEXT,
  started_at INTEGER NOT NULL
);
CREATE INDEX idx_jobwright_queue_starts ON jobwright_queue_starts (queue_name, started_at);

-- Locks (owner set) and fixed-window counters of the job middleware.
CREATE TABLE jobwright_flow_keys (
  key        TEXT PRIMARY KEY NOT NULL,
  owner      TEXT,
  count      INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL
);
