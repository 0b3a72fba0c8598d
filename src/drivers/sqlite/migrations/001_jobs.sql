-- 001: the jobs table of the seed, in SQLite types.
-- Inputs: none. Times are integer milliseconds since the Unix epoch (the store keeps
-- sub-second delays and leases). `payload` and `meta` are JSON text, checked by the engine
-- when a job is run, not here, so that one damaged row fails alone instead of wedging a queue.
-- Extra columns beyond the seed: lease_token / lease_expires_at fence every transition after
-- a reservation, reserved_by names the worker holding the lease, meta carries chain links.

CREATE TABLE jobs (
  id               TEXT    PRIMARY KEY NOT NULL,          -- ULID (time-ordered)
  queue_name       TEXT    NOT NULL DEFAULT 'default',
  job_name         TEXT    NOT NULL,
  payload          TEXT    NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL DEFAULT 3,
  status           TEXT    NOT NULL DEFAULT 'pending',
  priority         INTEGER NOT NULL DEFAULT 0,
  available_at     INTEGER NOT NULL,
  reserved_at      INTEGER,
  processed_at     INTEGER,
  failed_at        INTEGER,
  error_message    TEXT,
  timeout_seconds  NUMERIC DEFAULT 300,                   -- may be fractional (0.5 s)
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  lease_token      TEXT,
  lease_expires_at INTEGER,
  reserved_by      TEXT,
  meta             TEXT
);

-- Reservation: due jobs of one queue in (priority, id) order, read from the index alone.
-- Partial, so completed and failed rows (the bulk of an old table) cost it nothing.
CREATE INDEX idx_jobs_queue_processing
  ON jobs (queue_name, priority, id, available_at, status)
  WHERE status IN ('pending', 'retrying');

-- The failed store: list, retry and clear failed jobs per queue; failed throughput.
CREATE INDEX idx_jobs_failed ON jobs (queue_name, failed_at) WHERE status = 'failed';

-- Retry logic of dead workers: reservations whose lease ran out, oldest lease first.
CREATE INDEX idx_jobs_retry ON jobs (lease_expires_at) WHERE status = 'processing';

-- Counts per queue and status (stats), without touching the table.
CREATE INDEX idx_jobs_queue_status ON jobs (queue_name, status);

-- Single-column index: completed throughput and pruning by age. (A plain index on status is
-- left out on purpose: idx_jobs_queue_status and the partial indexes answer every status
-- filter, and each index costs every commit another page written to the WAL.)
CREATE INDEX idx_jobs_processed_at ON jobs (processed_at) WHERE processed_at IS NOT NULL;
