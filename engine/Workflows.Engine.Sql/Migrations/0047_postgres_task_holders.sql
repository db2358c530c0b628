-- Version 47: a claim is a HOT update of its task on PostgreSQL (issue 19). Nothing changes on SQLite or SQL Server.
-- A claim sets the task's assignee, which was a column of ix_wf_user_tasks_open_assignee ("my tasks", next-task's look
-- for a task its agent holds): PostgreSQL then wrote the task's new version into all nine of the table's indexes (the
-- open-task indexes take it again, as it is still open), a third of an agents' loop's index entries. An open task's
-- holder is now a row of its own, keyed by agent (one entry, written at the claim, deleted when the task is released
-- or closed), and the task's assignee is in no index: the claim's update of the task touches none where its page has
-- room, which the fill factor leaves. The room is shared with the completion's new version (its status is read by
-- every open-task index's predicate, so that update is never HOT, but it stays on the page if it can): at 75 two
-- claims in three were HOT in the agents' loop, at 60 nearly all (BENCHMARKS.md, round 20), for a table of task rows
-- a quarter larger than at 75.

-- The holder rows follow the task's row by triggers, not by the engine's statements: a node of a build before this version
-- (which goes on writing until its schema check refuses it, docs/operations.md) and a claim committed while this runs
-- keep them right too (review 20, F2). The triggers fire only when the assignee or the status changes (their WHEN), so an
-- SLA clock's update of a task calls nothing.

-- only postgresql
CREATE TABLE wf_task_holders (
    assignee text NOT NULL,
    task_id uuid NOT NULL,
    PRIMARY KEY (assignee, task_id)
);
CREATE FUNCTION wf_task_holders_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 0 AND OLD.assignee IS NOT NULL THEN
        DELETE FROM wf_task_holders WHERE assignee = OLD.assignee AND task_id = OLD.id;
    END IF;
    IF NEW.status = 0 AND NEW.assignee IS NOT NULL THEN
        INSERT INTO wf_task_holders (assignee, task_id) VALUES (NEW.assignee, NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER wf_user_tasks_held AFTER INSERT ON wf_user_tasks
    FOR EACH ROW WHEN (NEW.assignee IS NOT NULL AND NEW.status = 0) EXECUTE FUNCTION wf_task_holders_follow();
CREATE TRIGGER wf_user_tasks_holder_moved AFTER UPDATE OF assignee, status ON wf_user_tasks
    FOR EACH ROW WHEN (OLD.assignee IS DISTINCT FROM NEW.assignee OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION wf_task_holders_follow();
-- After the triggers, which took the table's lock: a claim committed before is read here, one after fires them.
INSERT INTO wf_task_holders (assignee, task_id)
SELECT assignee, id FROM wf_user_tasks WHERE status = 0 AND assignee IS NOT NULL
ON CONFLICT DO NOTHING;
DROP INDEX ix_wf_user_tasks_open_assignee;
ALTER TABLE wf_user_tasks SET (fillfactor = 60);
-- end only
