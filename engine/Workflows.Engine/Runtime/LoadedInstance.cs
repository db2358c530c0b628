using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>An instance a command has loaded (or created), with what the command changed on it so far.</summary>
internal sealed class LoadedInstance(InstanceState state, ProcessDefinition definition, long originalRowVersion)
{
    public InstanceState State { get; } = state;

    public ProcessDefinition Definition { get; } = definition;

    public long OriginalRowVersion { get; } = originalRowVersion;

    public Guid Id => State.Id;

    /// <summary>Set when a terminate end event ended the process scope.</summary>
    public bool TerminatedByEndEvent { get; set; }

    /// <summary>The instance's open clocks as loaded, and those this command started or ended.</summary>
    public List<SlaClockRecord> Clocks { get; } = [];

    public bool ClocksChanged { get; set; }

    /// <summary>The branch and customer as last committed: an ended instance keeps them.</summary>
    public (string? Branch, string? CustomerId) Parties { get; set; }
}
