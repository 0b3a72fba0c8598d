-- 005 flow_control. Input: {schema}, the quoted schema name.
-- Unique jobs: the lock is the live job itself (pending, processing, retrying), until
-- unique_until when uniqueFor() is set. Enqueue checks and inserts under an advisory lock.
ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS unique_key TEXT;
ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS unique_until TIMESTAMPTZ;
ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS group_key TEXT;
-- The lease whose run dispatcher.cancel() asked to stop.
ALTER TABLE {schema}.jobs ADD COLUMN IF NOT EXISTS cancel_lease UUID;
-- Partial: rows of jobs that are not unique never enter it.
CREATE INDEX IF NOT EXISTS idx_jobs_unique ON {schema}.jobs (queue_name, unique_key)
  WHERE unique_key IS NOT NULL AND status IN ('pending', 'processing', 'retrying');
-- Running jobs of a limited queue are counted through idx_jobs_retry (processing rows only): no
-- new index on the hot path of queues without limits.

CREATE TABLE IF NOT EXISTS {schema}.jobwright_queue_limits (
  queue_name TEXT PRIMARY KEY,
  limits     JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {schema}.jobwright_queue_starts (
  queue_name TEXT NOT NULL,
  group_key  TEXT,
  started_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_jobwright_queue_starts ON {schema}.jobwright_queue_starts (queue_name, started_at);

CREATE TABLE IF NOT EXISTS {schema}.jobwright_flow_keys (
  key        TEXT PRIMARY KEY,
  owner      TEXT,
  count      INTEGER NOT NULL DEFAULT 0,
  expires_at TIMESTAMPTZ NOT NULL
);
