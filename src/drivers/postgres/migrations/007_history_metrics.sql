-- 007 history_metrics. Input: {schema}, the quoted schema name.
-- The attempt history of each job and per-minute metric cells, written by a statement trigger
-- on jobs when an UPDATE moves started jobs (reserved_at set) out of 'processing' to completed,
-- retrying or failed: the settle statements and the recovery of a dead worker's jobs. It runs
-- inside the statement that writes the outcome (same transaction, no extra round trip), set-based
-- over the statement's rows. A release sets reserved_at NULL: a given-back attempt is not recorded.
-- Switched off per connection with `SET jobwright.history = 'off'` (the driver's `history: false`).
--   jobwright_attempts  one row per ended attempt; a job keeps its newest 25; removed with the job
--   jobwright_metrics   per minute, queue, class, series (c completed, r retried, f failed run
--                       time; w wait time), duration bucket and shard (the backend pid mod 8, so
--                       concurrent settles rarely wait on one row): count, sum and max in ms.
--                       Minutes older than a day and an hour are pruned by the trigger.
CREATE TABLE IF NOT EXISTS {schema}.jobwright_attempts (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id CHAR(26) NOT NULL REFERENCES {schema}.jobs (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    queue_name VARCHAR(255) NOT NULL,
    job_name VARCHAR(255) NOT NULL,
    worker_id TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    wait_ms BIGINT,
    outcome TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS idx_jobwright_attempts_job ON {schema}.jobwright_attempts (job_id, seq);

CREATE TABLE IF NOT EXISTS {schema}.jobwright_metrics (
    minute INTEGER NOT NULL,
    queue_name VARCHAR(255) NOT NULL,
    job_name VARCHAR(255) NOT NULL,
    series "char" NOT NULL,
    bucket SMALLINT NOT NULL,
    shard SMALLINT NOT NULL,
    n BIGINT NOT NULL,
    sum_ms BIGINT NOT NULL,
    max_ms BIGINT NOT NULL,
    PRIMARY KEY (minute, queue_name, job_name, series, bucket, shard)
);

-- The duration buckets of src/drivers/insights.ts (DURATION_BOUNDS_MS): change them together.
CREATE OR REPLACE FUNCTION {schema}.jobwright_duration_bucket(ms BIGINT) RETURNS SMALLINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE WHEN ms <= 1 THEN 0 WHEN ms <= 2 THEN 1 WHEN ms <= 5 THEN 2 WHEN ms <= 10 THEN 3
    WHEN ms <= 20 THEN 4 WHEN ms <= 50 THEN 5 WHEN ms <= 100 THEN 6 WHEN ms <= 200 THEN 7
    WHEN ms <= 500 THEN 8 WHEN ms <= 1000 THEN 9 WHEN ms <= 2000 THEN 10 WHEN ms <= 5000 THEN 11
    WHEN ms <= 10000 THEN 12 WHEN ms <= 20000 THEN 13 WHEN ms <= 30000 THEN 14 WHEN ms <= 60000 THEN 15
    WHEN ms <= 120000 THEN 16 WHEN ms <= 300000 THEN 17 WHEN ms <= 600000 THEN 18
    WHEN ms <= 1800000 THEN 19 WHEN ms <= 3600000 THEN 20 ELSE 21 END)::smallint
$$;

CREATE OR REPLACE FUNCTION {schema}.jobwright_record_attempts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  minute_now INTEGER := floor(extract(epoch FROM now()) / 60);
BEGIN
  IF current_setting('jobwright.history', true) = 'off' THEN RETURN NULL; END IF;
  -- Reservations, starts and heartbeats leave every row 'processing': nothing to record.
  IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status <> 'processing' AND reserved_at IS NOT NULL) THEN
    RETURN NULL;
  END IF;
  WITH ended AS (
    SELECT n.id, n.attempts, n.queue_name, n.job_name, o.reserved_by AS worker_id, n.reserved_at,
           n.status, n.error_message,
           greatest(0, round(extract(epoch FROM (now() - n.reserved_at)) * 1000))::bigint AS run_ms,
           greatest(0, round(extract(epoch FROM (n.reserved_at - o.available_at)) * 1000))::bigint AS wait_ms
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.status = 'processing' AND n.status IN ('completed', 'retrying', 'failed')
      AND n.reserved_at IS NOT NULL
  ),
  recorded AS (
    INSERT INTO {schema}.jobwright_attempts
      (job_id, attempt, queue_name, job_name, worker_id, started_at, finished_at, wait_ms, outcome, error)
    SELECT id, attempts, queue_name, job_name, worker_id, reserved_at, now(), wait_ms,
           CASE status WHEN 'completed' THEN 'completed' WHEN 'failed' THEN 'failed' ELSE 'retried' END,
           CASE WHEN status = 'completed' THEN NULL ELSE error_message END
    FROM ended
  ),
  cells AS (
    SELECT queue_name, job_name,
           (CASE status WHEN 'completed' THEN 'c' WHEN 'failed' THEN 'f' ELSE 'r' END)::"char" AS series,
           {schema}.jobwright_duration_bucket(run_ms) AS bucket, run_ms AS ms
    FROM ended
    UNION ALL
    SELECT queue_name, job_name, 'w'::"char", {schema}.jobwright_duration_bucket(wait_ms), wait_ms FROM ended
  ),
  cells_summed AS (
    SELECT queue_name, job_name, series, bucket, count(*) AS n, sum(ms) AS sum_ms, max(ms) AS max_ms
    FROM cells GROUP BY queue_name, job_name, series, bucket
  )
  INSERT INTO {schema}.jobwright_metrics AS m
    (minute, queue_name, job_name, series, bucket, shard, n, sum_ms, max_ms)
  SELECT minute_now, queue_name, job_name, series, bucket, (pg_backend_pid() % 8)::smallint, n, sum_ms, max_ms
  FROM cells_summed
  ON CONFLICT (minute, queue_name, job_name, series, bucket, shard) DO UPDATE
    SET n = m.n + excluded.n, sum_ms = m.sum_ms + excluded.sum_ms, max_ms = greatest(m.max_ms, excluded.max_ms);
  -- Bounds: a job that ran more than 25 times keeps its newest 25 attempts.
  IF EXISTS (SELECT 1 FROM new_rows WHERE attempts > 25 AND status <> 'processing') THEN
    DELETE FROM {schema}.jobwright_attempts a
    USING new_rows n
    WHERE n.attempts > 25 AND n.status <> 'processing' AND a.job_id = n.id AND a.seq <= (
      SELECT s.seq FROM {schema}.jobwright_attempts s WHERE s.job_id = n.id
      ORDER BY s.seq DESC OFFSET 25 LIMIT 1);
  END IF;
  -- Minutes older than a day and an hour go, now and then (an index range on the key's first column).
  IF random() < 0.02 THEN
    DELETE FROM {schema}.jobwright_metrics WHERE minute < minute_now - 1500;
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS jobwright_record_attempts ON {schema}.jobs;
CREATE TRIGGER jobwright_record_attempts
  AFTER UPDATE ON {schema}.jobs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION {schema}.jobwright_record_attempts();
