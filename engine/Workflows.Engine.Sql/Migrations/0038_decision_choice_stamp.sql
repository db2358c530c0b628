-- Version 38: a stamp that every change to what chooses a decision's version moves (issue 19). A business rule task
-- read its branch, its decision's approvals and rollouts (and, on SQLite, the version chosen) at every evaluation: four
-- statements on SQLite, five index scans on PostgreSQL, at every completion of the complaint's registration. A node now
-- keeps what it chose by the stamp it read, and reads the stamp alone while it has not moved. A commit that writes a
-- branch, a rollout, a decision version, its document or its approval moves the stamp in its own transaction, whichever
-- node wrote it; the one row is written last in a commit, after every other row, so two commits never wait in a cycle.
-- A table of one row, created with it: safe on a database with rows in every dialect.
CREATE TABLE wf_decision_choice_stamp (
    id {int} NOT NULL PRIMARY KEY,
    stamp {long} NOT NULL
);
-- go
INSERT INTO wf_decision_choice_stamp (id, stamp) VALUES (1, 0);
