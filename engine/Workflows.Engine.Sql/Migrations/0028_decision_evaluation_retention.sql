-- Version 28: retention of the decision evaluations recorded through the API (issue 18): the worker deletes those made
-- before a cut-off (Workflows:Engine:Worker:DecisionEvaluationRetention, else HistoryRetention), found by their time.
CREATE INDEX ix_wf_decision_evaluations_time ON wf_decision_evaluations (evaluated_at);
