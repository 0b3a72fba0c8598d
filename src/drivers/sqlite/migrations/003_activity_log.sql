-- 003 activity_log: the activity log takes the name the product documents. No inputs.
-- SQLite renames the table's indexes along with it (they keep their names).
ALTER TABLE job_activity RENAME TO activity_log;
