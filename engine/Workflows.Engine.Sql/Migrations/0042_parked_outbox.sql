-- Version 42: an outbox row can be parked (issue 19). On the in-memory transport a message that the engines of the node
-- keep giving up is published again after a growing pause, and after WorkflowBusOptions.MaxRedeliveries publications
-- given up it is parked: kept, with when and why, and published again only when an operator says so. A parked row also
-- has its published_at set, so that the relay's read of unpublished rows (and its index) stays as it was.
-- Columns are added in their own batch (SQL Server compiles a batch before running it); both are null on every
-- existing row, and an index of parked rows only holds the parked ones (no entry written by any other row).
ALTER TABLE wf_outbox {add} parked_at {long} NULL;
ALTER TABLE wf_outbox {add} parked_reason {text} NULL;
-- go
CREATE INDEX ix_wf_outbox_parked ON wf_outbox (parked_at, seq) WHERE parked_at IS NOT NULL;
