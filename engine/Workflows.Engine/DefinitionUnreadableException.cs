namespace Workflows.Engine;

/// <summary>
/// A stored process definition version no longer reads: its XML does not parse, or it lacks the process it was deployed
/// for (the row was changed outside the engine, or a newer engine wrote what this one cannot read). Only what needs that
/// version is refused, naming it; every other version, journey and report goes on.
/// </summary>
public sealed class DefinitionUnreadableException(Guid definitionId, string processId, int version, string reason)
    : WorkflowConflictException($"version {version} of process '{processId}' (definition {definitionId}) is stored but cannot be read: {reason}")
{
    /// <summary>The definition version that cannot be read.</summary>
    public Guid DefinitionId { get; } = definitionId;

    /// <summary>The process it was deployed for.</summary>
    public string ProcessId { get; } = processId;

    /// <summary>Its version number.</summary>
    public int Version { get; } = version;

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; } = reason;
}
