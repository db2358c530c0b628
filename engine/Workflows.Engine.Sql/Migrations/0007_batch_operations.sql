-- Version 7: batch operations. A batch and one item per instance it selected (resolved when it was created); the
-- worker leases pending items of running batches in chunks, and the command that does an item's operation writes
-- its result in the same transaction, guarded by the item still being pending (so no instance is done twice).

CREATE TABLE wf_batches (
    id {uuid} NOT NULL PRIMARY KEY,
    kind {int} NOT NULL,
    state {int} NOT NULL,
    reason {text} NOT NULL,
    actor {key} NULL,
    branch {key} NULL,
    total {int} NOT NULL,
    operation_json {text} NULL,
    created_at {long} NOT NULL,
    completed_at {long} NULL
);
CREATE INDEX ix_wf_batches_branch ON wf_batches (branch, created_at);
CREATE INDEX ix_wf_batches_state ON wf_batches (state);

CREATE TABLE wf_batch_items (
    id {uuid} NOT NULL PRIMARY KEY,
    batch_id {uuid} NOT NULL,
    seq {long} NOT NULL,
    instance_id {uuid} NOT NULL,
    status {int} NOT NULL,
    detail {text} NULL,
    at {long} NULL,
    lease_owner {key} NULL,
    lease_until {long} NULL
);
CREATE UNIQUE INDEX ux_wf_batch_items_seq ON wf_batch_items (batch_id, seq);
CREATE INDEX ix_wf_batch_items_pending ON wf_batch_items (status, batch_id, seq);
