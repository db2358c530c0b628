-- Version 2: what agents' queues and service levels need. "-- go" separates batches (SQL Server
-- compiles a batch before running it, so a column must exist before a later batch names it).

ALTER TABLE wf_user_tasks {add} customer_id {key} NULL;
ALTER TABLE wf_user_tasks {add} branch {key} NULL;
ALTER TABLE wf_user_tasks {add} journey {key} NULL;
ALTER TABLE wf_user_tasks {add} sla_state {int} NULL;
ALTER TABLE wf_user_tasks {add} sla_due_at {long} NULL;
-- go
CREATE INDEX ix_wf_user_tasks_assignee ON wf_user_tasks (assignee, status);
CREATE INDEX ix_wf_user_tasks_customer ON wf_user_tasks (customer_id, status);
CREATE INDEX ix_wf_user_tasks_business_key ON wf_user_tasks (business_key, status);
CREATE INDEX ix_wf_user_tasks_branch ON wf_user_tasks (branch, status);

-- The queues an open task is offered in (candidate groups, and 'user:' + each candidate user), with
-- its sort keys, so that "the best task of my queues" walks one index per queue and stops at a page.
-- sla_sort is the breach moment (the largest value when no clock runs); inv_priority is 100 - priority.
CREATE TABLE wf_task_queues (
    queue {key} NOT NULL,
    task_id {uuid} NOT NULL,
    claimed {int} NOT NULL,
    sla_sort {long} NOT NULL,
    inv_priority {int} NOT NULL,
    created_at {long} NOT NULL,
    PRIMARY KEY (queue, task_id)
);
CREATE INDEX ix_wf_task_queues_sla ON wf_task_queues (queue, claimed, sla_sort, inv_priority, created_at, task_id);
CREATE INDEX ix_wf_task_queues_priority ON wf_task_queues (queue, claimed, inv_priority, created_at, task_id);
CREATE INDEX ix_wf_task_queues_age ON wf_task_queues (queue, claimed, created_at, task_id);
CREATE INDEX ix_wf_task_queues_task ON wf_task_queues (task_id);

-- Version 1's placeholder is replaced by the clock the SLA features keep.
DROP TABLE wf_sla_clocks;
CREATE TABLE wf_sla_clocks (
    id {uuid} NOT NULL PRIMARY KEY,
    instance_id {uuid} NOT NULL,
    element_key {long} NOT NULL,
    element_id {key} NOT NULL,
    kind {int} NOT NULL,
    level {int} NOT NULL,
    label {key} NULL,
    process_id {key} NOT NULL,
    business_key {key} NULL,
    branch {key} NULL,
    customer_id {key} NULL,
    calendar {key} NULL,
    target {key} NOT NULL,
    working_time {int} NOT NULL,
    budget_ticks {long} NOT NULL,
    started_at {long} NOT NULL,
    state {int} NOT NULL,
    consumed_ticks {long} NOT NULL,
    running_since {long} NULL,
    target_at {long} NULL,
    next_due_at {long} NULL,
    fired {int} NOT NULL,
    next_repeat_at {long} NULL,
    pause_reason {key} NULL,
    paused_at {long} NULL,
    paused_by {long} NULL,
    paused_ticks {long} NOT NULL,
    ended_at {long} NULL,
    lease_owner {key} NULL,
    lease_until {long} NULL
);
CREATE INDEX ix_wf_sla_clocks_due ON wf_sla_clocks (next_due_at);
CREATE INDEX ix_wf_sla_clocks_instance ON wf_sla_clocks (instance_id, ended_at);
CREATE INDEX ix_wf_sla_clocks_report ON wf_sla_clocks (level, kind, started_at);
CREATE INDEX ix_wf_sla_clocks_calendar ON wf_sla_clocks (calendar, ended_at);

-- Calendar layer versions, so that every node computes clocks on the same calendars.
CREATE TABLE wf_calendar_layers (
    name {key} NOT NULL,
    effective_from {long} NOT NULL,
    definition {text} NOT NULL,
    PRIMARY KEY (name, effective_from)
);
