-- How long migration 0033 (PostgreSQL) holds the history's table: run on a scratch database, never on the product's,
--   psql -h 127.0.0.1 -U workflows -d <scratch database> -f docs/examples/measure-migration-0033.sql
-- It makes the table as version 25 made it (key on seq, index on (instance_id, seq)) with 2,000,000 rows of about
-- 400 bytes, then runs the migration's statements as the migrator does, in one transaction, timing each.
DROP TABLE IF EXISTS wf_history_commands;
CREATE TABLE wf_history_commands (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, instance_id uuid NOT NULL, at bigint NOT NULL, events text NOT NULL);
CREATE INDEX ix_wf_history_commands_instance ON wf_history_commands (instance_id, seq);
INSERT INTO wf_history_commands (instance_id, at, events)
SELECT gen_random_uuid(), 638000000000000000 + g, '[{"k":1,"e":"register","ek":2,"a":"ann","d":null,"t":638000000000000000}' || repeat(',{"k":2,"e":"register","ek":2}', 10) || ']'
FROM generate_series(1, 2000000) g;
VACUUM ANALYZE wf_history_commands;
SELECT pg_size_pretty(pg_total_relation_size('wf_history_commands')) AS size, count(*) AS rows FROM wf_history_commands;
\timing on
BEGIN;
ALTER TABLE wf_history_commands DROP CONSTRAINT wf_history_commands_pkey;
ALTER TABLE wf_history_commands ADD CONSTRAINT wf_history_commands_pkey PRIMARY KEY (instance_id, seq);
DROP INDEX ix_wf_history_commands_instance;
COMMIT;
