-- Version 8: jobs for workers over HTTP.

-- The job types workers asked for (over HTTP), one row per type with the latest worker and time: a deployment warns
-- about a type that no in-process handler serves and no worker ever asked for.
CREATE TABLE wf_job_workers (
    type {key} NOT NULL PRIMARY KEY,
    worker {key} NOT NULL,
    last_activated_at {long} NOT NULL
);
