-- Version 27: an instance whose stored state cannot be read (issue 13).

-- One open incident for an unreadable state per instance (element key 0 stands for the instance as a whole), however
-- many commands meet the instance at once: the second writer's insert collides and its command, run again, finds the
-- first one's incident. Two such incidents an older engine may have raised are made one first: the older stays open.
UPDATE wf_incidents SET resolved_at = created_at
WHERE element_key = 0 AND resolved_at IS NULL AND EXISTS (
    SELECT 1 FROM wf_incidents o
    WHERE o.instance_id = wf_incidents.instance_id AND o.element_key = 0 AND o.resolved_at IS NULL
      AND (o.created_at < wf_incidents.created_at OR (o.created_at = wf_incidents.created_at AND o.id < wf_incidents.id)));
-- go
CREATE UNIQUE INDEX ux_wf_incidents_open_state ON wf_incidents (instance_id) WHERE element_key = 0 AND resolved_at IS NULL;

-- The instances a caller called, by their rows: an operator's cancel of a caller whose state cannot be read ends them
-- too. Only called instances are in the index, so an instance started otherwise costs no page of it.
CREATE INDEX ix_wf_instances_parent ON wf_instances (parent_instance_id) WHERE parent_instance_id IS NOT NULL;
