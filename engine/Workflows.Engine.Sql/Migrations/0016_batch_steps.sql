-- Version 16: who paused and resumed a batch, and when: an operator's command on a batch is audited like every other
-- (the batch row names who created it; each later step is a row here, written with the state it moved).
CREATE TABLE wf_batch_steps (
    id {uuid} NOT NULL PRIMARY KEY,
    batch_id {uuid} NOT NULL,
    at {long} NOT NULL,
    action {key} NOT NULL,
    actor {key} NULL
);
-- go
CREATE INDEX ix_wf_batch_steps_batch ON wf_batch_steps (batch_id, at);
