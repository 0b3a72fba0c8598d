-- 007 history_metrics: the attempt history of each job and per-minute metric cells, written as
-- an attempt ends by the recording trigger the driver installs on its connection
-- (src/drivers/sqlite/history.ts), inside the same transaction as the outcome. No inputs.
--   jobwright_attempts  one row per ended attempt (bounded per job by the trigger; removed with the job)
--   jobwright_metrics   per minute, queue, class, series (c completed, r retried, f failed run
--                       time; w wait time) and duration bucket: count, sum and max in ms
CREATE TABLE jobwright_attempts (
  seq         INTEGER PRIMARY KEY,
  job_id      TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,
  queue_name  TEXT    NOT NULL,
  job_name    TEXT    NOT NULL,
  worker_id   TEXT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  wait_ms     INTEGER,
  outcome     TEXT    NOT NULL,
  error       TEXT
);
CREATE INDEX idx_jobwright_attempts_job ON jobwright_attempts (job_id, seq);

CREATE TABLE jobwright_metrics (
  minute     INTEGER NOT NULL,
  queue_name TEXT    NOT NULL,
  job_name   TEXT    NOT NULL,
  series     TEXT    NOT NULL,
  bucket     INTEGER NOT NULL,
  n          INTEGER NOT NULL,
  sum_ms     INTEGER NOT NULL,
  max_ms     INTEGER NOT NULL,
  PRIMARY KEY (minute, queue_name, job_name, series, bucket)
) WITHOUT ROWID;

-- A job's attempts go with it (prune, clear-failed, forget).
CREATE TRIGGER jobwright_forget_attempts AFTER DELETE ON jobs
BEGIN
  DELETE FROM jobwright_attempts WHERE job_id = OLD.id;
END;
