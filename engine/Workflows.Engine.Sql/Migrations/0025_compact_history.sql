-- Version 25: a command's history in one row per instance (issue 19 item 3). A complaint start wrote about ten history
-- rows, each an entry in the table and in its instance index (and, on SQLite, the AUTOINCREMENT counter's page): now
-- one row holds the command's events for that instance as a compact JSON array (`events`, oldest first; each event
-- {"k": kind, "e": element id, "ek": element key, "a": actor, "d": detail, "t": time in ticks}, a missing member is
-- null, a missing "t" is the row's `at`).
-- The key may be reused once the newest rows are deleted (no AUTOINCREMENT on SQLite): a new row still sorts after
-- every row that exists, which is all an instance's order needs.
CREATE TABLE wf_history_commands (
    seq {append_key},
    instance_id {uuid} NOT NULL,
    at {long} NOT NULL,
    events {text} NOT NULL
);
CREATE INDEX ix_wf_history_commands_instance ON wf_history_commands (instance_id, seq);
-- go

-- The rows written before this version stay where they are (nothing is copied: a large history migrates at once) and
-- are read first; `wf_history` becomes a view of both with the old columns, so a query written against the old table
-- still reads every event: order an instance's events by (command_seq, seq) — command_seq is 0 for the old rows.
-- only sqlite
ALTER TABLE wf_history RENAME TO wf_history_rows;
-- end only
-- only postgresql
ALTER TABLE wf_history RENAME TO wf_history_rows;
-- end only
-- only sqlserver
EXEC sp_rename 'wf_history', 'wf_history_rows';
-- end only
-- go
-- only sqlite
CREATE VIEW wf_history AS
SELECT 0 AS command_seq, seq, instance_id, at, kind, element_id, element_key, actor, detail FROM wf_history_rows
UNION ALL
SELECT h.seq, e.key + 1, h.instance_id, COALESCE(json_extract(e.value, '$.t'), h.at), json_extract(e.value, '$.k'), json_extract(e.value, '$.e'),
       json_extract(e.value, '$.ek'), json_extract(e.value, '$.a'), json_extract(e.value, '$.d')
FROM wf_history_commands h, json_each(h.events) e;
-- end only
-- only postgresql
CREATE VIEW wf_history AS
SELECT 0::bigint AS command_seq, seq, instance_id, at, kind, element_id, element_key, actor, detail FROM wf_history_rows
UNION ALL
SELECT h.seq, e.n, h.instance_id, COALESCE((e.v ->> 't')::bigint, h.at), e.v ->> 'k', e.v ->> 'e', (e.v ->> 'ek')::bigint, e.v ->> 'a', e.v ->> 'd'
FROM wf_history_commands h CROSS JOIN LATERAL json_array_elements(h.events::json) WITH ORDINALITY AS e(v, n);
-- end only
-- only sqlserver
CREATE VIEW wf_history AS
SELECT CAST(0 AS bigint) AS command_seq, seq, instance_id, at, kind, element_id, element_key, actor, detail FROM wf_history_rows
UNION ALL
SELECT h.seq, CAST(e.[key] AS bigint) + 1, h.instance_id, COALESCE(f.t, h.at), f.k, f.e, f.ek, f.a, f.d
FROM wf_history_commands h CROSS APPLY OPENJSON(h.events) e
CROSS APPLY OPENJSON(e.value) WITH (t bigint '$.t', k nvarchar(400) '$.k', e nvarchar(400) '$.e', ek bigint '$.ek', a nvarchar(400) '$.a', d nvarchar(max) '$.d') f;
-- end only
