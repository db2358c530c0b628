-- Version 19: decisions deployed and versioned like processes (issue 18 item 2).

-- A version of one decision: the whole DMN document it was deployed in (its requirements come with it), its version
-- per decision id, its tag and the canonical checksum that says whether a new deployment changed it.
CREATE TABLE wf_decision_definitions (
    id {uuid} NOT NULL PRIMARY KEY,
    decision_id {key} NOT NULL,
    name {text} NOT NULL,
    version {int} NOT NULL,
    version_tag {key} NULL,
    checksum {key} NOT NULL,
    xml {text} NOT NULL,
    deployment_id {uuid} NOT NULL,
    deployed_at {long} NOT NULL,
    deployed_by {key} NULL
);
-- go
CREATE UNIQUE INDEX ux_wf_decision_definitions_version ON wf_decision_definitions (decision_id, version);
CREATE INDEX ix_wf_decision_definitions_tag ON wf_decision_definitions (decision_id, version_tag);
CREATE INDEX ix_wf_decision_definitions_deployment ON wf_decision_definitions (deployment_id, decision_id);

-- A decision version approved as a standard: who, when and why. One row per version: approving twice collides.
CREATE TABLE wf_decision_approvals (
    decision_id {key} NOT NULL,
    version {int} NOT NULL,
    approved_by {key} NOT NULL,
    approved_at {long} NOT NULL,
    reason {text} NOT NULL,
    PRIMARY KEY (decision_id, version)
);
