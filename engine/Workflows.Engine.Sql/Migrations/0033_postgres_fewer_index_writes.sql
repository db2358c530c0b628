-- Version 33: one index entry fewer per command on PostgreSQL (issue 19). Nothing changes on SQLite or SQL Server.
-- Counted with pg_walinspect per command (BENCHMARKS.md, round 13).

-- only postgresql
-- A command's history row was an entry in two indexes: its key (seq), which no query reads, and (instance_id, seq),
-- which every read and the retention's delete use. The second becomes the key: one entry per row.
ALTER TABLE wf_history_commands DROP CONSTRAINT wf_history_commands_pkey;
ALTER TABLE wf_history_commands ADD CONSTRAINT wf_history_commands_pkey PRIMARY KEY (instance_id, seq);
DROP INDEX ix_wf_history_commands_instance;
-- end only
