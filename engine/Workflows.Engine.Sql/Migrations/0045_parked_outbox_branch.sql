-- Version 45: a parked outbox row keeps the branch of its message's handoff (issue 19, review 18 F3). A branch's
-- supervisor or operator lists the parked messages of their branch: the store filters them in its query (a page of every
-- branch's, filtered after, could hold none of theirs, and one past the first 10,000 could never be sent again).
-- The column is written by the park only (a rare write), never by a command's insert: nothing on the commit path changes.
-- Adding a nullable column rewrites no row in any dialect; the rows parked before this version (migration 42's, few:
-- each is an error an operator is to act on) get their branch from their headers, found through ix_wf_outbox_parked,
-- so the update reads no other row of the outbox. Listing a branch's parked rows reads that partial index: no new index
-- (building one would scan the whole outbox under a lock on PostgreSQL, as migration 42's did).
ALTER TABLE wf_outbox {add} parked_branch {key} NULL;
-- go
-- only sqlite
UPDATE wf_outbox SET parked_branch = json_extract(headers_json, '$.handoff.branch') WHERE parked_at IS NOT NULL AND json_valid(headers_json);
-- end only
-- only postgresql
UPDATE wf_outbox SET parked_branch = headers_json::jsonb -> 'handoff' ->> 'branch' WHERE parked_at IS NOT NULL AND headers_json IS NOT NULL;
-- end only
-- only sqlserver
UPDATE wf_outbox SET parked_branch = JSON_VALUE(headers_json, '$.handoff.branch') WHERE parked_at IS NOT NULL AND ISJSON(headers_json) = 1;
-- end only
