-- Version 13: the controllable clock of a test environment, kept so that a restart runs on the time it was moved to.
-- One row (id 1) at most: the offset ahead of the host's clock, or the instant it is pinned at.
CREATE TABLE wf_controlled_clock (
    id {int} NOT NULL PRIMARY KEY,
    offset_ticks {long} NOT NULL,
    pinned_at {long} NULL
);
