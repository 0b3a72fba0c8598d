-- 004 held_jobs: how many jobs each worker holds ahead (leased, not started), for queue:workers.
-- No inputs.
ALTER TABLE job_workers ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
