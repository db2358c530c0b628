-- Version 29: a DMN document is stored once per deployment (review18 F19). Each decision version held a copy of the whole
-- document, so a document of n decisions wrote n copies of itself (1,000 decisions in 99 KB wrote 99 MB). A version
-- deployed from now on refers to its document and keeps an empty xml; one stored before keeps its copy and reads the same
-- (its document_id is null), until a redrawing deployment points it at a document too.
CREATE TABLE wf_decision_documents (
    id {uuid} NOT NULL PRIMARY KEY,
    deployment_id {uuid} NOT NULL,
    checksum {key} NOT NULL,
    xml {text} NOT NULL,
    deployed_at {long} NOT NULL
);
-- go
ALTER TABLE wf_decision_definitions {add} document_id {uuid} NULL;
-- go
-- The versions of a document, so that one no version refers to any more is found and deleted with the redraw.
CREATE INDEX ix_wf_decision_definitions_document ON wf_decision_definitions (document_id) WHERE document_id IS NOT NULL;
