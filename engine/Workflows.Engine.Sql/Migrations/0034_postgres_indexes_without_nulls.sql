-- Version 34: an instance or open task without a business key, branch or customer is no entry in the index of that
-- column, on PostgreSQL (issue 19). Nothing changes on SQLite or SQL Server.
-- Every query that reads these indexes asks for one value (`business_key = @…`, `branch = @…`, `customer_id = @…`),
-- which never matches a null: the null entries were written by every start, every new task and every instance's end
-- (the end is not a HOT update) and never read. A process run without branches or business keys (the engine used
-- alone) wrote six index entries per task and five per start where three and two now do. PostgreSQL uses a partial
-- index for `column = $1` (a strict comparison implies IS NOT NULL), prepared or not.

-- only postgresql
DROP INDEX ix_wf_instances_business_key;
CREATE INDEX ix_wf_instances_business_key ON wf_instances (business_key) WHERE business_key IS NOT NULL;
DROP INDEX ix_wf_instances_branch;
CREATE INDEX ix_wf_instances_branch ON wf_instances (branch, started_at) WHERE branch IS NOT NULL;
DROP INDEX ix_wf_instances_customer;
CREATE INDEX ix_wf_instances_customer ON wf_instances (customer_id, started_at) WHERE customer_id IS NOT NULL;
DROP INDEX ix_wf_user_tasks_branch_sla;
CREATE INDEX ix_wf_user_tasks_branch_sla ON wf_user_tasks (branch, sla_sort, inv_priority, created_at, id) WHERE status = 0 AND branch IS NOT NULL;
DROP INDEX ix_wf_user_tasks_branch_priority;
CREATE INDEX ix_wf_user_tasks_branch_priority ON wf_user_tasks (branch, inv_priority, created_at, id) WHERE status = 0 AND branch IS NOT NULL;
DROP INDEX ix_wf_user_tasks_branch_age;
CREATE INDEX ix_wf_user_tasks_branch_age ON wf_user_tasks (branch, created_at, id) WHERE status = 0 AND branch IS NOT NULL;
-- end only
