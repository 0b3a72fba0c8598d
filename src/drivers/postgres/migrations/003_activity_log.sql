-- 003 activity_log. Input: {schema}, the quoted schema name.
-- Once renamed jobwright_activity to activity_log; that name collides with an application's own
-- activity_log table (issue 13), so fresh installs skip the rename and 004 names the table
-- jobwright_activity_log. Installs that applied the old 003 are moved over by 004.
SELECT 1;
