-- One lease mechanism for every background job: which server does a job's work on one subject
-- (the maintenance pass: a cluster; later jobs: an organization's audit checkpoint, a webhook
-- delivery), until when (milliseconds). A lease is taken by a conditional upsert (free, lapsed
-- or already the holder's) and lapses on its own when its holder stops, so with several
-- replicas on one database exactly one acts on a subject. Replaces maintenance_leases.
CREATE TABLE job_leases (
    job     TEXT NOT NULL,
    subject TEXT NOT NULL,
    holder  TEXT NOT NULL,
    until   BIGINT NOT NULL,
    PRIMARY KEY (job, subject)
);
INSERT INTO job_leases (job, subject, holder, until)
    SELECT 'maintenance', cluster_id, holder, until FROM maintenance_leases;
DROP TABLE maintenance_leases;
