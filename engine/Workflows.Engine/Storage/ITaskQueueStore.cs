namespace Workflows.Engine.Storage;

/// <summary>User tasks: one task, an instance's open tasks, and the queues agents pick from.</summary>
internal interface ITaskQueueStore
{
    ValueTask<UserTaskRecord?> GetUserTaskAsync(Guid id, CancellationToken ct);

    /// <summary>
    /// A task and its instance's row as they stood together: read in one statement (one snapshot), so the task is as
    /// the instance's row version left it; with <paramref name="openClocks"/>, the instance's open service-level clocks
    /// too, read after them (no earlier than the row version that covers them), where that saves a round trip: a store
    /// whose reads cost none (SQLite, memory) leaves them null, for a read of their own when the instance keeps clocks.
    /// With <paramref name="decisionChoiceStamp"/> (a command that runs tokens, which may reach a business rule task), a
    /// store that keeps decision choices by a stamp and pays a round trip for its reads reads the stamp in the same
    /// statement (<see cref="TaskWithInstance.DecisionChoiceStamp"/>). Null when there is no such task.
    /// </summary>
    /// <remarks>One round trip on a server: a command on one task (claim, complete) reads what it decides on here.</remarks>
    ValueTask<TaskWithInstance?> GetTaskWithInstanceAsync(Guid taskId, bool openClocks, bool decisionChoiceStamp, CancellationToken ct);

    /// <summary>An instance's open tasks, oldest first.</summary>
    ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksAsync(Guid instanceId, CancellationToken ct);

    /// <summary>The open tasks of those instances, in no particular order.</summary>
    ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, CancellationToken ct);

    /// <summary>
    /// Open tasks matching <paramref name="query"/>'s filters, in its order, strictly after <paramref name="after"/>,
    /// at most <paramref name="limit"/>. With queues, each queue's index is walked on its own and the walks merged.
    /// </summary>
    ValueTask<IReadOnlyList<UserTaskRecord>> QueryTasksAsync(TaskQuery query, TaskSortKey? after, int limit, CancellationToken ct);

    /// <summary>
    /// The first page of <see cref="QueryTasksAsync"/>, as the tasks' ids only: the candidates an agent's next task is
    /// claimed among. Nothing is decided on them but which task to try: the claim's command reads the task again, with
    /// its instance.
    /// </summary>
    ValueTask<IReadOnlyList<Guid>> QueryTaskIdsAsync(TaskQuery query, int limit, CancellationToken ct);

    /// <summary>
    /// Next-task's read (see <c>WorkflowTasks.NextAsync</c>): the ids of open tasks <paramref name="holder"/> holds, at most
    /// <paramref name="heldLimit"/>, in no particular order, found by the index of open tasks' assignees (one probe that
    /// usually finds nothing, not a walk of the queues' claimed tasks); and the first page of <see cref="QueryTaskIdsAsync"/>
    /// for <paramref name="query"/>, at most <paramref name="limit"/>. Read together: one session's statements on SQLite,
    /// one round trip on a server.
    /// </summary>
    /// <remarks>The page is read even when the agent holds a task: it almost never does, and a read of its own would cost
    /// every other pull a statement (a round trip on a server).</remarks>
    ValueTask<NextTaskIds> QueryNextTaskIdsAsync(TaskQuery query, int limit, string holder, int heldLimit, CancellationToken ct);
}

/// <summary>What next-task reads before it claims: the tasks its agent holds, and the page of its queues' free tasks.</summary>
internal sealed record NextTaskIds(IReadOnlyList<Guid> Held, IReadOnlyList<Guid> Page);
