-- Branches: the standard version each one runs of every journey, its calendar chain and local settings,
-- one JSON document per branch (read whole on every start for a branch, written by its admin).
CREATE TABLE wf_branches (
    id {key} NOT NULL PRIMARY KEY,
    definition {text} NOT NULL
);
