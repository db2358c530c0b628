-- Branches: the standard version each one runs of every journey, its calendar chain and local settings,
-- one JSON document per branch (read whole on every start for a branch, written by its admin).
CREATE TABLE wf_branches (
    id {key} NOT NULL PRIMARY KEY,
    definition {text} NOT NULL,
    -- counts the saves: a read-modify-write (a pin, a calendar) is refused when another save came between
    revision {long} NOT NULL
);

-- An instance's branch and customer (from its process's wf:journey mapping), so a supervisor lists a
-- branch's cases and a customer their own without reading instance state.
ALTER TABLE wf_instances {add} branch {key} NULL;
ALTER TABLE wf_instances {add} customer_id {key} NULL;
-- go
CREATE INDEX ix_wf_instances_branch ON wf_instances (branch, started_at);
CREATE INDEX ix_wf_instances_customer ON wf_instances (customer_id, started_at);
-- Open incidents across instances, oldest first (the incident list).
CREATE INDEX ix_wf_incidents_open ON wf_incidents (resolved_at, created_at);
