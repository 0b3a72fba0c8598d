-- 002 leases_and_extras. Input: {schema}, the quoted schema name.
-- jobs extras (documented in docs/postgres.md):
--   lease_token       random per reservation; every later transition must present it (fencing)
--   lease_expires_at  store-clock deadline; past it the job is recovered (retrying or failed)
--   reserved_by       the worker id holding the lease, for queue:workers and debugging
--   meta              engine metadata as JSON text (chain links, trace context)
--   timeout_ms        the exact timeout, since timeout_seconds is a whole number in the seed
ALTER TABLE {schema}.jobs
    ADD COLUMN IF NOT EXISTS lease_token UUID,
    ADD COLUMN IF NOT EXISTS lease_expires_at TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS reserved_by TEXT,
    ADD COLUMN IF NOT EXISTS meta TEXT,
    ADD COLUMN IF NOT EXISTS timeout_ms INTEGER;

-- Retry logic: the sweeper finds processing jobs whose lease ran out.
CREATE INDEX IF NOT EXISTS idx_jobs_retry
    ON {schema}.jobs (lease_expires_at) WHERE status = 'processing';

-- Jobs churn (every transition is an UPDATE): vacuum early so dead index entries do not slow
-- the SKIP LOCKED scan of idx_jobs_queue_processing.
ALTER TABLE {schema}.jobs SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_delay = 0);

CREATE TABLE IF NOT EXISTS {schema}.jobwright_workers (
    worker_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    queues TEXT[] NOT NULL,
    concurrency INTEGER NOT NULL,
    jobs_done BIGINT NOT NULL DEFAULT 0,
    started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.jobwright_activity (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL,
    job_id TEXT,
    job_name TEXT NOT NULL,
    queue_name TEXT NOT NULL,
    event TEXT NOT NULL,
    causer TEXT,
    properties TEXT NOT NULL,
    duration_ms DOUBLE PRECISION,
    attempt INTEGER NOT NULL,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS idx_jobwright_activity_job ON {schema}.jobwright_activity (job_id, seq);

CREATE TABLE IF NOT EXISTS {schema}.jobwright_paused_queues (
    queue_name VARCHAR(255) PRIMARY KEY,
    paused_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
