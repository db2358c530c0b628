-- Version 21: the task lists without a queue (a supervisor's board of a branch or of every branch, a customer's
-- tasks) walk an index in their order and stop at a page, as the per-queue lists do, instead of sorting every open
-- task of the branch. The task row keeps its sort keys as the queue index does: sla_sort is the breach moment (the
-- largest value when no clock runs), inv_priority is 100 - priority.
ALTER TABLE wf_user_tasks {add} sla_sort {long} NULL;
ALTER TABLE wf_user_tasks {add} inv_priority {int} NULL;
-- go
UPDATE wf_user_tasks SET sla_sort = COALESCE(sla_due_at, 9223372036854775807), inv_priority = 100 - priority;
-- go
-- The new indexes begin with the old ones' columns, which they replace: a task is written to as many indexes as before, plus one.
DROP INDEX ix_wf_user_tasks_branch ON wf_user_tasks;
DROP INDEX ix_wf_user_tasks_customer ON wf_user_tasks;
CREATE INDEX ix_wf_user_tasks_branch_order ON wf_user_tasks (branch, status, sla_sort, inv_priority, created_at, id);
CREATE INDEX ix_wf_user_tasks_customer_order ON wf_user_tasks (customer_id, status, sla_sort, inv_priority, created_at, id);
CREATE INDEX ix_wf_user_tasks_open_order ON wf_user_tasks (status, sla_sort, inv_priority, created_at, id);
