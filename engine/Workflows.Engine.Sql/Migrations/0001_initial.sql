-- Version 1: the runtime tables. One logical schema for every dialect: {uuid}, {key} (an indexed
-- text), {text}, {long}, {int}, {blob} and {identity} are replaced by each dialect's types.
-- Times are UTC ticks (100 ns since 0001-01-01), the same in every dialect. docs/schema.md says which
-- query each index serves.

CREATE TABLE wf_definitions (
    id {uuid} NOT NULL PRIMARY KEY,
    process_id {key} NOT NULL,
    version {int} NOT NULL,
    version_tag {key} NULL,
    checksum {key} NOT NULL,
    xml {text} NOT NULL,
    deployment_id {uuid} NOT NULL,
    deployed_at {long} NOT NULL,
    deployed_by {key} NULL
);
CREATE UNIQUE INDEX ux_wf_definitions_process_version ON wf_definitions (process_id, version);
CREATE INDEX ix_wf_definitions_process_tag ON wf_definitions (process_id, version_tag);
CREATE INDEX ix_wf_definitions_deployment ON wf_definitions (deployment_id, process_id);

CREATE TABLE wf_instances (
    id {uuid} NOT NULL PRIMARY KEY,
    process_id {key} NOT NULL,
    definition_id {uuid} NOT NULL,
    version {int} NOT NULL,
    business_key {key} NULL,
    status {int} NOT NULL,
    row_version {long} NOT NULL,
    started_at {long} NOT NULL,
    ended_at {long} NULL,
    parent_instance_id {uuid} NULL,
    state {blob} NOT NULL
);
CREATE INDEX ix_wf_instances_business_key ON wf_instances (business_key);
CREATE INDEX ix_wf_instances_process ON wf_instances (process_id, id);
CREATE INDEX ix_wf_instances_ended ON wf_instances (ended_at);

CREATE TABLE wf_user_tasks (
    id {uuid} NOT NULL PRIMARY KEY,
    instance_id {uuid} NOT NULL,
    element_key {long} NOT NULL,
    element_id {key} NOT NULL,
    name {key} NULL,
    process_id {key} NOT NULL,
    business_key {key} NULL,
    assignee {key} NULL,
    candidate_groups {text} NOT NULL,
    candidate_users {text} NOT NULL,
    priority {int} NOT NULL,
    due_date {long} NULL,
    follow_up_date {long} NULL,
    form_json {text} NULL,
    created_at {long} NOT NULL,
    status {int} NOT NULL
);
CREATE INDEX ix_wf_user_tasks_instance ON wf_user_tasks (instance_id, status);

CREATE TABLE wf_jobs (
    id {uuid} NOT NULL PRIMARY KEY,
    instance_id {uuid} NOT NULL,
    element_key {long} NOT NULL,
    element_id {key} NOT NULL,
    type {key} NOT NULL,
    retries {int} NOT NULL,
    failures {int} NOT NULL,
    created_at {long} NOT NULL,
    due_at {long} NOT NULL,
    headers_json {text} NOT NULL,
    variables_json {text} NOT NULL,
    lease_owner {key} NULL,
    lease_until {long} NULL
);
CREATE INDEX ix_wf_jobs_type_due ON wf_jobs (type, due_at);
CREATE INDEX ix_wf_jobs_instance ON wf_jobs (instance_id);

CREATE TABLE wf_timers (
    id {uuid} NOT NULL PRIMARY KEY,
    instance_id {uuid} NULL,
    element_key {long} NOT NULL,
    element_id {key} NOT NULL,
    definition_id {uuid} NOT NULL,
    due_at {long} NOT NULL,
    interval_ticks {long} NULL,
    remaining {int} NOT NULL,
    lease_owner {key} NULL,
    lease_until {long} NULL
);
CREATE INDEX ix_wf_timers_due ON wf_timers (due_at);
CREATE INDEX ix_wf_timers_definition ON wf_timers (definition_id);

CREATE TABLE wf_message_subscriptions (
    id {uuid} NOT NULL PRIMARY KEY,
    instance_id {uuid} NULL,
    element_key {long} NOT NULL,
    element_id {key} NOT NULL,
    definition_id {uuid} NOT NULL,
    message_name {key} NOT NULL,
    correlation_key {key} NULL,
    created_at {long} NOT NULL
);
CREATE INDEX ix_wf_message_subscriptions_key ON wf_message_subscriptions (message_name, correlation_key);
CREATE INDEX ix_wf_message_subscriptions_definition ON wf_message_subscriptions (definition_id);

CREATE TABLE wf_signal_subscriptions (
    id {uuid} NOT NULL PRIMARY KEY,
    instance_id {uuid} NULL,
    element_key {long} NOT NULL,
    element_id {key} NOT NULL,
    definition_id {uuid} NOT NULL,
    signal_name {key} NOT NULL
);
CREATE INDEX ix_wf_signal_subscriptions_name ON wf_signal_subscriptions (signal_name);
CREATE INDEX ix_wf_signal_subscriptions_definition ON wf_signal_subscriptions (definition_id);

CREATE TABLE wf_buffered_messages (
    id {uuid} NOT NULL PRIMARY KEY,
    message_id {key} NULL,
    name {key} NOT NULL,
    correlation_key {key} NOT NULL,
    variables_json {text} NOT NULL,
    published_at {long} NOT NULL,
    expires_at {long} NOT NULL
);
CREATE INDEX ix_wf_buffered_messages_key ON wf_buffered_messages (name, correlation_key, expires_at);
CREATE INDEX ix_wf_buffered_messages_message_id ON wf_buffered_messages (message_id);

CREATE TABLE wf_message_correlations (
    buffered_message_id {uuid} NOT NULL,
    instance_id {uuid} NOT NULL,
    PRIMARY KEY (buffered_message_id, instance_id)
);

-- An SLA clock on a step, sub-process or process (written by the SLA and commitment features): its
-- next warning or breach moment is a due time like a timer's, claimed with a lease.
CREATE TABLE wf_sla_clocks (
    id {uuid} NOT NULL PRIMARY KEY,
    instance_id {uuid} NOT NULL,
    element_key {long} NOT NULL,
    element_id {key} NOT NULL,
    kind {key} NOT NULL,
    state {int} NOT NULL,
    calendar {key} NULL,
    started_at {long} NOT NULL,
    target_at {long} NOT NULL,
    next_due_at {long} NULL,
    paused_at {long} NULL,
    paused_ticks {long} NOT NULL,
    ended_at {long} NULL,
    lease_owner {key} NULL,
    lease_until {long} NULL
);
CREATE INDEX ix_wf_sla_clocks_due ON wf_sla_clocks (next_due_at);
CREATE INDEX ix_wf_sla_clocks_instance ON wf_sla_clocks (instance_id, state);

CREATE TABLE wf_incidents (
    id {uuid} NOT NULL PRIMARY KEY,
    instance_id {uuid} NOT NULL,
    element_key {long} NOT NULL,
    element_id {key} NOT NULL,
    message {text} NOT NULL,
    created_at {long} NOT NULL,
    resolved_at {long} NULL
);
CREATE INDEX ix_wf_incidents_instance ON wf_incidents (instance_id, resolved_at);

CREATE TABLE wf_history (
    seq {identity},
    instance_id {uuid} NOT NULL,
    at {long} NOT NULL,
    kind {key} NOT NULL,
    element_id {key} NULL,
    element_key {long} NULL,
    actor {key} NULL,
    detail {text} NULL
);
CREATE INDEX ix_wf_history_instance ON wf_history (instance_id, seq);

CREATE TABLE wf_outbox (
    seq {identity},
    id {uuid} NOT NULL,
    instance_id {uuid} NOT NULL,
    element_id {key} NOT NULL,
    message_name {key} NOT NULL,
    correlation_key {key} NULL,
    variables_json {text} NOT NULL,
    created_at {long} NOT NULL,
    published_at {long} NULL
);
CREATE INDEX ix_wf_outbox_unpublished ON wf_outbox (published_at, seq);
CREATE INDEX ix_wf_outbox_instance ON wf_outbox (instance_id, seq);

CREATE TABLE wf_inbox (
    message_id {key} NOT NULL PRIMARY KEY,
    consumer {key} NOT NULL,
    received_at {long} NOT NULL
);
