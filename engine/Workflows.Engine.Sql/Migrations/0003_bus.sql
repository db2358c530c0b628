-- The bus (Workflows.Engine.MassTransit): what the outbox relay, the job dispatcher and the inbox need.
-- Columns are added in their own batch (SQL Server compiles a batch before running it).

-- An outbox row is a BPMN message (0) or a notification (1), with what it carries across the handoff.
ALTER TABLE wf_outbox {add} kind {int} NOT NULL DEFAULT 0;
ALTER TABLE wf_outbox {add} headers_json {text} NULL;
-- Jobs of service tasks marked external go to workers over the bus.
ALTER TABLE wf_jobs {add} external {int} NOT NULL DEFAULT 0;
-- A buffered message whose time-to-live ran out is marked, and kept when no instance took it.
ALTER TABLE wf_buffered_messages {add} expired_at {long} NULL;
ALTER TABLE wf_buffered_messages {add} unclaimed {int} NOT NULL DEFAULT 0;
-- go
CREATE INDEX ix_wf_jobs_external_due ON wf_jobs (external, due_at);
CREATE INDEX ix_wf_buffered_messages_expiry ON wf_buffered_messages (expired_at, expires_at);
CREATE INDEX ix_wf_buffered_messages_unclaimed ON wf_buffered_messages (unclaimed, expires_at);

-- Named leases: work that one node at a time must do in order (the outbox relay).
CREATE TABLE wf_leases (
    name {key} NOT NULL PRIMARY KEY,
    owner {key} NULL,
    lease_until {long} NOT NULL
);
INSERT INTO wf_leases (name, owner, lease_until) VALUES ('outbox-relay', NULL, 0);
