-- Version 15: the version lifecycle and staged rollouts (issue 16 item 2).

-- A journey version approved as a standard: who, when and why. One row per version: approving twice collides.
CREATE TABLE wf_version_approvals (
    process_id {key} NOT NULL,
    version {int} NOT NULL,
    approved_by {key} NOT NULL,
    approved_at {long} NOT NULL,
    reason {text} NOT NULL,
    PRIMARY KEY (process_id, version)
);

-- Rollout plans, one JSON document each (waves, what each branch pinned before, every audited step), revisioned
-- like branches: a step is refused when another step came between its read and its write.
CREATE TABLE wf_rollouts (
    id {key} NOT NULL PRIMARY KEY,
    process_id {key} NOT NULL,
    definition {text} NOT NULL,
    revision {long} NOT NULL,
    created_at {long} NOT NULL
);
-- go
CREATE INDEX ix_wf_rollouts_process ON wf_rollouts (process_id, created_at);

-- The one rollout of a process that is planned or under way: two plans at once collide on the key.
CREATE TABLE wf_rollout_locks (
    process_id {key} NOT NULL PRIMARY KEY,
    rollout_id {key} NOT NULL
);
