-- Version 24: a lighter commit (issue 19 item 3), and a branch's task list by priority and by age in index order.
-- Measured with `bench pages` (BENCHMARKS.md): every index a command's rows are in costs it a page of the log.

-- Every read of wf_user_tasks other than by id asks for open tasks (status = 0): its secondary indexes now hold open
-- tasks only, so a task that closes leaves each of them (one deletion) instead of moving to a region nobody reads.
-- A branch's board (a supervisor's) is walked in the order it is asked for: SLA time left, priority or age.
DROP INDEX ix_wf_user_tasks_instance ON wf_user_tasks;
DROP INDEX ix_wf_user_tasks_assignee ON wf_user_tasks;
DROP INDEX ix_wf_user_tasks_business_key ON wf_user_tasks;
DROP INDEX ix_wf_user_tasks_branch_order ON wf_user_tasks;
DROP INDEX ix_wf_user_tasks_customer_order ON wf_user_tasks;
DROP INDEX ix_wf_user_tasks_open_order ON wf_user_tasks;
-- go
CREATE INDEX ix_wf_user_tasks_open_instance ON wf_user_tasks (instance_id) WHERE status = 0;
CREATE INDEX ix_wf_user_tasks_open_assignee ON wf_user_tasks (assignee) WHERE status = 0 AND assignee IS NOT NULL;
CREATE INDEX ix_wf_user_tasks_open_business_key ON wf_user_tasks (business_key) WHERE status = 0 AND business_key IS NOT NULL;
CREATE INDEX ix_wf_user_tasks_branch_sla ON wf_user_tasks (branch, sla_sort, inv_priority, created_at, id) WHERE status = 0;
CREATE INDEX ix_wf_user_tasks_branch_priority ON wf_user_tasks (branch, inv_priority, created_at, id) WHERE status = 0;
CREATE INDEX ix_wf_user_tasks_branch_age ON wf_user_tasks (branch, created_at, id) WHERE status = 0;
CREATE INDEX ix_wf_user_tasks_customer_sla ON wf_user_tasks (customer_id, sla_sort, inv_priority, created_at, id) WHERE status = 0 AND customer_id IS NOT NULL;
CREATE INDEX ix_wf_user_tasks_open_sla ON wf_user_tasks (sla_sort, inv_priority, created_at, id) WHERE status = 0;

-- The queue index is keyed by its task first: the key itself serves a task's removal and its sort keys' update, so
-- the separate index on task_id goes (and on SQLite the rows live in the key, WITHOUT ROWID: one b-tree, not two).
CREATE TABLE wf_task_queues_v24 (
    task_id {uuid} NOT NULL,
    queue {key} NOT NULL,
    claimed {int} NOT NULL,
    sla_sort {long} NOT NULL,
    inv_priority {int} NOT NULL,
    created_at {long} NOT NULL
);
-- go
INSERT INTO wf_task_queues_v24 (task_id, queue, claimed, sla_sort, inv_priority, created_at)
SELECT task_id, queue, claimed, sla_sort, inv_priority, created_at FROM wf_task_queues;
DROP TABLE wf_task_queues;
CREATE TABLE wf_task_queues (
    task_id {uuid} NOT NULL,
    queue {key} NOT NULL,
    claimed {int} NOT NULL,
    sla_sort {long} NOT NULL,
    inv_priority {int} NOT NULL,
    created_at {long} NOT NULL,
    PRIMARY KEY (task_id, queue)
){without_rowid};
-- go
INSERT INTO wf_task_queues (task_id, queue, claimed, sla_sort, inv_priority, created_at)
SELECT task_id, queue, claimed, sla_sort, inv_priority, created_at FROM wf_task_queues_v24;
DROP TABLE wf_task_queues_v24;
CREATE INDEX ix_wf_task_queues_sla ON wf_task_queues (queue, claimed, sla_sort, inv_priority, created_at, task_id);
CREATE INDEX ix_wf_task_queues_priority ON wf_task_queues (queue, claimed, inv_priority, created_at, task_id);
CREATE INDEX ix_wf_task_queues_age ON wf_task_queues (queue, claimed, created_at, task_id);

-- Clocks: the commitments report reads level-1 commitments only, the claim reads clocks with a next moment, and a
-- calendar change moves running clocks only: each index holds just those rows, so the other clocks (and every clock
-- once it ends) are not in it.
DROP INDEX ix_wf_sla_clocks_report ON wf_sla_clocks;
DROP INDEX ix_wf_sla_clocks_due ON wf_sla_clocks;
DROP INDEX ix_wf_sla_clocks_calendar ON wf_sla_clocks;
-- go
CREATE INDEX ix_wf_sla_clocks_commitments ON wf_sla_clocks (started_at, id) WHERE level = 1 AND kind = 1;
CREATE INDEX ix_wf_sla_clocks_due ON wf_sla_clocks (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX ix_wf_sla_clocks_open_calendar ON wf_sla_clocks (calendar) WHERE ended_at IS NULL;

-- Instances: retention reads ended instances only; a running instance is not in the index of ends.
DROP INDEX ix_wf_instances_ended ON wf_instances;
-- go
CREATE INDEX ix_wf_instances_ended ON wf_instances (ended_at) WHERE ended_at IS NOT NULL;
