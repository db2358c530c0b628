-- Version 5: message start events as Camunda 8 runs them, and a buffered message taken once per process.

-- The process each correlation gave the message to, unique per message: two commands racing for one buffered
-- message on two instances of one process cannot both commit. Rows written before this version keep no process
-- (the lookup still finds it through their instance) and are left out of the unique key.
ALTER TABLE wf_message_correlations {add} process_id {key} NULL;
-- go
CREATE UNIQUE INDEX ux_wf_message_correlations_process ON wf_message_correlations (buffered_message_id, process_id) WHERE process_id IS NOT NULL;

-- The active instance a message with a correlation key started, one per process and key: while it lives, no other
-- message with that key starts the process; the command that ends it deletes the row (guarded by its revision,
-- which a message kept waiting for it raises) and starts the next buffered message's instance.
CREATE TABLE wf_message_start_locks (
    process_id {key} NOT NULL,
    correlation_key {key} NOT NULL,
    instance_id {uuid} NOT NULL,
    revision {long} NOT NULL
);
CREATE UNIQUE INDEX ux_wf_message_start_locks_key ON wf_message_start_locks (process_id, correlation_key);
