-- Version 10: every start resolves the version through the branch's pin.

-- The branch a buffered message starts a process for (a handoff's, or the one its sender named): when it starts the
-- process later, from the buffer, the branch's pin still chooses the version.
ALTER TABLE wf_buffered_messages {add} branch {key} NULL;
