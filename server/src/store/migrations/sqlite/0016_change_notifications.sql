-- SQLite serves one process, whose live views poll; PostgreSQL's replicas notify each other
-- (postgres/0016_change_notifications.sql). Kept so both schemas number alike.
SELECT 1;
