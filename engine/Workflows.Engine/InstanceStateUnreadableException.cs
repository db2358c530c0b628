namespace Workflows.Engine;

/// <summary>
/// The stored state of an instance cannot be read: a format or key this engine does not know, or a structure that
/// cannot be (a key above the key counter, a parent that is itself or a cycle, an element the definition does not
/// have). Nothing is done to the instance; the worker skips it and raises an incident naming what is wrong, so that an
/// operator sees it, and every other instance goes on.
/// </summary>
public sealed class InstanceStateUnreadableException(Guid instanceId, string reason)
    : WorkflowConflictException($"the stored state of instance {instanceId} cannot be read: {reason}")
{
    /// <summary>The instance whose state is refused.</summary>
    public Guid InstanceId { get; } = instanceId;

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; } = reason;
}
