-- Version 36: the idempotency keys of starts (the IETF draft's Idempotency-Key): a key per caller's scope, written in
-- the start's own commit with its instance, so a start retried with the key answers that instance and starts no
-- other; the unique key makes two starts racing with one key collide. The worker deletes keys past their retention
-- (at least 24 hours) by their time. A new table: nothing existing is read or rewritten.
-- Scope and key compare exactly on every server ({exact_key}: a binary collation on SQL Server, whose default would take
-- 'Ann' and 'ann', or 'k' and 'k ', for one caller or one key).
CREATE TABLE wf_idempotency_keys (
    scope {exact_key} NOT NULL,
    idempotency_key {exact_key} NOT NULL,
    fingerprint {key} NOT NULL,
    instance_id {uuid} NOT NULL,
    business_key {key} NULL,
    created_at {long} NOT NULL
);
-- go
CREATE UNIQUE INDEX ux_wf_idempotency_keys_key ON wf_idempotency_keys (scope, idempotency_key);
CREATE INDEX ix_wf_idempotency_keys_time ON wf_idempotency_keys (created_at);
