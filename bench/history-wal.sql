-- PostgreSQL WAL bytes of a complaint start's history: ten rows of the old wf_history (before migration 25) against one
-- row of wf_history_commands, each statement's WAL read from EXPLAIN (ANALYZE, WAL). BENCHMARKS.md, issue 19 round 8.
-- Run: psql "host=127.0.0.1 user=workflows password=workflows dbname=postgres sslmode=disable" -f bench/history-wal.sql
DROP DATABASE IF EXISTS wf_perf_walcount;
CREATE DATABASE wf_perf_walcount;
\c wf_perf_walcount
CREATE TABLE wf_history_rows (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, instance_id uuid NOT NULL, at bigint NOT NULL, kind text NOT NULL, element_id text, element_key bigint, actor text, detail text);
CREATE INDEX ix_wf_history_instance ON wf_history_rows (instance_id, seq);
CREATE TABLE wf_history_commands (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, instance_id uuid NOT NULL, at bigint NOT NULL, events text NOT NULL);
CREATE INDEX ix_wf_history_commands_instance ON wf_history_commands (instance_id, seq);
CREATE TABLE ev (n int, kind text, element_id text, element_key bigint, actor text, detail text);
INSERT INTO ev VALUES
 (1,'instance-started',NULL,NULL,'frontdesk-ann','complaint by CUST-000123'),
 (2,'element-entered','received',1,NULL,NULL),
 (3,'element-completed','received',1,NULL,NULL),
 (4,'element-entered','classify',2,NULL,NULL),
 (5,'decision-evaluated','classify',2,NULL,'complaint-category v1: category=billing, priority=2 (rule 3)'),
 (6,'element-completed','classify',2,NULL,NULL),
 (7,'element-entered','register',3,NULL,NULL),
 (8,'clock-started','register',3,NULL,'first-response 4h business'),
 (9,'clock-started','register',3,NULL,'resolution 5d business'),
 (10,'task-created','register',3,NULL,'0193f1c2-7d4e-7a11-9b3e-5c0d2f6a8e11');
CREATE FUNCTION wal_of(statement text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, WAL, COSTS OFF, TIMING OFF, FORMAT JSON) ' || statement INTO plan;
  RETURN (plan->0->'Plan'->>'WAL Bytes')::bigint;
END $$;
CREATE TABLE tally (phase text, form text, bytes bigint, records bigint);
DO $$
DECLARE id uuid; r record; rows_bytes bigint; cmd_bytes bigint; events text; i int; at bigint := 638000000000000000;
BEGIN
  SELECT json_agg(json_strip_nulls(json_build_object('k', kind, 'e', element_id, 'ek', element_key, 'a', actor, 'd', detail)) ORDER BY n)::text INTO events FROM ev;
  FOR i IN 1..2500 LOOP
    id := gen_random_uuid();
    rows_bytes := 0;
    FOR r IN SELECT * FROM ev ORDER BY n LOOP
      rows_bytes := rows_bytes + wal_of(format('INSERT INTO wf_history_rows (instance_id, at, kind, element_id, element_key, actor, detail) VALUES (%L, %s, %L, %L, %L, %L, %L)',
        id, at, r.kind, r.element_id, r.element_key, r.actor, r.detail));
    END LOOP;
    cmd_bytes := wal_of(format('INSERT INTO wf_history_commands (instance_id, at, events) VALUES (%L, %s, %L)', id, at, events));
    INSERT INTO tally VALUES (CASE WHEN i <= 2000 THEN 'warmup' ELSE 'measured' END, 'rows', rows_bytes, 10), (CASE WHEN i <= 2000 THEN 'warmup' ELSE 'measured' END, 'command', cmd_bytes, 1);
  END LOOP;
END $$;
SELECT form, count(*) AS commands, round(avg(bytes)) AS wal_bytes_per_command, min(bytes), max(bytes), percentile_disc(0.5) WITHIN GROUP (ORDER BY bytes) AS median FROM tally WHERE phase = 'measured' GROUP BY form;
SELECT length(events) AS json_chars FROM wf_history_commands LIMIT 1;
\c postgres
DROP DATABASE wf_perf_walcount;
