-- Version 23: evaluations of a deployed decision asked through the API (issue 18): who asked, for which branch, which
-- version ran, and what it read, matched and gave, listed per decision newest first. A business rule task's own
-- evaluations stay in its instance's history.
CREATE TABLE wf_decision_evaluations (
    id {uuid} NOT NULL PRIMARY KEY,
    decision_id {key} NOT NULL,
    version {int} NOT NULL,
    branch {key} NULL,
    actor {key} NOT NULL,
    evaluated_at {long} NOT NULL,
    detail {text} NOT NULL
);
-- go
CREATE INDEX ix_wf_decision_evaluations_decision ON wf_decision_evaluations (decision_id, evaluated_at, id);
CREATE INDEX ix_wf_decision_evaluations_branch ON wf_decision_evaluations (decision_id, branch, evaluated_at, id);
