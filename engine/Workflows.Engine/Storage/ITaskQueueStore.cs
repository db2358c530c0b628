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
    /// Null when there is no such task.
    /// </summary>
    /// <remarks>One round trip on a server: a command on one task (claim, complete) reads what it decides on here.</remarks>
    ValueTask<TaskWithInstance?> GetTaskWithInstanceAsync(Guid taskId, bool openClocks, CancellationToken ct);

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
    /// The ids of open tasks <paramref name="assignee"/> holds, at most <paramref name="limit"/>, in no particular order:
    /// read by the index of open tasks' assignees, so that next-task's look for a task its agent already holds (see
    /// <c>WorkflowTasks.NextAsync</c>) costs one probe that usually finds nothing, not a walk of the queues' claimed tasks.
    /// </summary>
    ValueTask<IReadOnlyList<Guid>> GetHeldTaskIdsAsync(string assignee, int limit, CancellationToken ct);
}
