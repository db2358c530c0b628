-- Version 43: on SQLite too, an instance or open task without a business key, branch or customer is no entry in the
-- index of that column (issue 19; version 34 did this on PostgreSQL). Nothing changes on PostgreSQL or SQL Server.
-- Every query that reads these indexes asks for one value (`business_key = @…`, `branch = @…`, `customer_id = @…`),
-- which never matches a null, and SQLite uses a partial index `WHERE column IS NOT NULL` for `column = ?` (a comparison
-- other than IS implies the column is not null), bound parameters included. A process run without branches or business
-- keys (the engine used alone, the bench's straight-through) wrote three null entries at every start and three at every
-- new task, none ever read: a straight-through start was an entry in seven of its nine b-trees' pages where it is now in
-- four of six. The library's journeys have all three columns on every instance and task: nothing changes for them.
-- The indexes are built again from the table (a sort of the rows that have the column), under the migration's lock.
-- The statements are version 34's, repeated: a SQLite database recorded version 34 without running its PostgreSQL block,
-- and an applied migration is never edited.

-- only sqlite
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
