-- 008 history_completed_from_row. Input: {schema}, the quoted schema name.
-- A completed attempt is no longer copied into jobwright_attempts: the job row already holds
-- everything about its last attempt (attempts, reserved_by, reserved_at, processed_at, and
-- available_at for the wait), and completion does not change those afterwards. The readers
-- (src/drivers/postgres/history.ts) add it from the row. Completion is the hot path: this drops
-- an INSERT, two index entries and a foreign-key check per job from it. Retried and failed
-- attempts (whose row fields a later attempt overwrites) are still recorded, and every outcome
-- still counts in jobwright_metrics. Rows recorded before this migration keep their completed
-- attempt; the reader does not add it twice. The driver's hot statement (completions, retries,
-- failures and starts in one UPDATE) records its outcomes itself, in the same statement, and
-- sets jobwright.history_written for its transaction: the trigger then skips it (its transition
-- tables and PL/pgSQL cost more than the recording). Other updates (crash recovery, chained
-- completions) still go through the trigger.
CREATE OR REPLACE FUNCTION {schema}.jobwright_record_attempts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  minute_now INTEGER := floor(extract(epoch FROM now()) / 60);
BEGIN
  IF current_setting('jobwright.history', true) = 'off' THEN RETURN NULL; END IF;
  -- The driver's hot statement (sql.ts, outcomes) records its outcomes itself and says so.
  IF current_setting('jobwright.history_written', true) = 'on' THEN RETURN NULL; END IF;
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
    WHERE status <> 'completed'
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

