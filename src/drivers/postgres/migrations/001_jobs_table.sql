-- 001 jobs_table. Input: {schema}, the quoted schema name. Creates the seed's jobs table exactly
-- (names, types, defaults) and its indexes. Partial indexes keep the hot path small: a row is
-- only in idx_jobs_queue_processing while it waits, only in idx_jobs_failed once it failed.
CREATE TABLE IF NOT EXISTS {schema}.jobs (
    id CHAR(26) PRIMARY KEY,
    queue_name VARCHAR(255) NOT NULL DEFAULT 'default',
    job_name VARCHAR(255) NOT NULL,
    payload JSONB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    status VARCHAR(50) NOT NULL DEFAULT 'pending',
    priority INTEGER NOT NULL DEFAULT 0,
    available_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    reserved_at TIMESTAMPTZ,
    processed_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    error_message TEXT,
    timeout_seconds INTEGER DEFAULT 300,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- Reservation: due jobs of one queue in (priority, id) order; ULID ids sort oldest first.
CREATE INDEX IF NOT EXISTS idx_jobs_queue_processing
    ON {schema}.jobs (queue_name, priority, id) WHERE status IN ('pending', 'retrying');
-- The failed-jobs store: listed per queue, newest failure first.
CREATE INDEX IF NOT EXISTS idx_jobs_failed
    ON {schema}.jobs (queue_name, failed_at) WHERE status = 'failed';
-- Single-column indexes on the key columns, partial: every state change is a non-HOT UPDATE
-- that adds an entry to each index whose predicate the new row matches, and full indexes on
-- status and queue_name doubled the database's work per job (140 against 66 microseconds for a
-- reserve plus a complete, measured). Waiting, retrying and failed rows, the ones admin queries
-- look up, are indexed; processing and completed rows, the hot path, are not.
CREATE INDEX IF NOT EXISTS idx_jobs_status
    ON {schema}.jobs (status) WHERE status IN ('pending', 'retrying', 'failed');
CREATE INDEX IF NOT EXISTS idx_jobs_queue_name
    ON {schema}.jobs (queue_name) WHERE status IN ('pending', 'retrying', 'failed');
