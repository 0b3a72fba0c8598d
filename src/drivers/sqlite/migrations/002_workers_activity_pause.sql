-- 002: the worker registry, the activity log and paused queues.
-- Inputs: none. Times are integer milliseconds since the Unix epoch.

-- Live workers of every process on this file. A row lapses at expires_at unless renewed by
-- the worker's heartbeat, so a killed process drops out by itself.
CREATE TABLE job_workers (
  worker_id         TEXT    PRIMARY KEY NOT NULL,
  host              TEXT    NOT NULL,
  pid               INTEGER NOT NULL,
  queues            TEXT    NOT NULL,                     -- JSON array of queue names
  concurrency       INTEGER NOT NULL,
  started_at        INTEGER NOT NULL,
  last_heartbeat_at INTEGER NOT NULL,
  expires_at        INTEGER NOT NULL,
  jobs_done         INTEGER NOT NULL DEFAULT 0
);

-- The activity log of ActivityLoggedJob; rowid order is insertion order (newest last).
CREATE TABLE job_activity (
  id          TEXT    PRIMARY KEY NOT NULL,
  job_id      TEXT,
  job_name    TEXT    NOT NULL,
  queue_name  TEXT    NOT NULL,
  event       TEXT    NOT NULL,                           -- started | completed | failed
  causer      TEXT,
  properties  TEXT    NOT NULL,                           -- JSON text
  duration_ms REAL,
  attempt     INTEGER NOT NULL,
  error       TEXT,
  created_at  INTEGER NOT NULL
);
CREATE INDEX idx_job_activity_job_id ON job_activity (job_id);
CREATE INDEX idx_job_activity_created_at ON job_activity (created_at);

-- Queues whose jobs `reserve` must not hand out until resumed.
CREATE TABLE job_paused_queues (
  queue_name TEXT    PRIMARY KEY NOT NULL,
  paused_at  INTEGER NOT NULL
);
