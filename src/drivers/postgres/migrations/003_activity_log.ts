/** Migration 003: the activity log takes the name the product documents, `activity_log`. */
export const name = 'activity_log';

export const sql = /* sql */ `
-- 003 activity_log. Input: {schema}, the quoted schema name.
ALTER TABLE IF EXISTS {schema}.jobwright_activity RENAME TO activity_log;
ALTER INDEX IF EXISTS {schema}.idx_jobwright_activity_job RENAME TO idx_activity_log_job;
`;
