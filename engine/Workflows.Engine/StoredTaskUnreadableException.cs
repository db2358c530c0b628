namespace Workflows.Engine;

/// <summary>
/// A user task's stored row cannot be read (its candidate lists or its form are not the JSON the engine wrote). The
/// task is refused by name wherever it is asked for on its own; lists of tasks leave it out and log it, so that one bad
/// row never takes down a queue, and nothing is written over it.
/// </summary>
public sealed class StoredTaskUnreadableException(Guid taskId, Guid instanceId, string reason)
    : WorkflowConflictException($"the stored row of user task {taskId} (instance {instanceId}) cannot be read: {reason}")
{
    /// <summary>The task whose row is refused.</summary>
    public Guid TaskId { get; } = taskId;

    /// <summary>Its instance.</summary>
    public Guid InstanceId { get; } = instanceId;
}
