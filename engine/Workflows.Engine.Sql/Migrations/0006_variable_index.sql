-- Version 6: search by variable values, and an instance's wait points read by instance.

-- The values of the variables a journey declares searchable (wf:searchable), one row per instance and variable,
-- written in the commit that sets them. Exactly one value column is set, by the declared type: text (at most 200
-- characters), a number (as a double) or a date (UTC ticks). Each value index holds only its type's rows.
CREATE TABLE wf_variable_index (
    instance_id {uuid} NOT NULL,
    name {key} NOT NULL,
    text_value {key} NULL,
    number_value {real} NULL,
    time_value {long} NULL
);
CREATE UNIQUE INDEX ux_wf_variable_index_instance ON wf_variable_index (instance_id, name);
CREATE INDEX ix_wf_variable_index_text ON wf_variable_index (name, text_value, instance_id) WHERE text_value IS NOT NULL;
CREATE INDEX ix_wf_variable_index_number ON wf_variable_index (name, number_value, instance_id) WHERE number_value IS NOT NULL;
CREATE INDEX ix_wf_variable_index_time ON wf_variable_index (name, time_value, instance_id) WHERE time_value IS NOT NULL;

-- An operator's inspection reads one instance's timers and subscriptions (jobs had this index already).
CREATE INDEX ix_wf_timers_instance ON wf_timers (instance_id);
CREATE INDEX ix_wf_message_subscriptions_instance ON wf_message_subscriptions (instance_id);
CREATE INDEX ix_wf_signal_subscriptions_instance ON wf_signal_subscriptions (instance_id);
