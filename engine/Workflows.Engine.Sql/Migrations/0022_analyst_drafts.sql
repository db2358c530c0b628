-- Version 22: analysts' drafts on the server (issue 17 item 6). A draft is a BPMN document an analyst saved without
-- deploying it: kept per analyst, read and written by its owner only. The revision guards a save against another tab's
-- (or browser's) save of the same draft in between; a rename leaves it alone, so an open editor's next save still fits.
CREATE TABLE wf_drafts (
    id {key} NOT NULL PRIMARY KEY,
    owner {key} NOT NULL,
    name {text} NOT NULL,
    process_id {text} NULL,
    xml {text} NOT NULL,
    bytes {int} NOT NULL,
    revision {long} NOT NULL,
    created_at {long} NOT NULL,
    saved_at {long} NOT NULL
);
-- go
-- An analyst's list, the latest saved first, and the count the per-analyst limit reads.
CREATE INDEX ix_wf_drafts_owner ON wf_drafts (owner, saved_at);
