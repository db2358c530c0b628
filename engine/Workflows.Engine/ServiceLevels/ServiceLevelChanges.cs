namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// The module's part of a command's <see cref="Storage.ChangeSet"/>: the clock and calendar rows every store commits in
/// the command's one transaction (the in-memory store in <c>InMemoryWorkflowStore.ServiceLevels</c>, the SQL
/// store in <c>SqlWorkflowStore.ServiceLevels</c>).
/// </summary>
internal sealed class ServiceLevelChanges : Modules.IChangeSetPart
{
    /// <summary>
    /// Only new clocks: a start's, whose rows nobody else has (a clock updated may have been changed by the poller, and a
    /// calendar layer is replaced by key).
    /// </summary>
    public bool OnlyAdds => ClocksUpdated.Count == 0 && CalendarLayers.Count == 0;

    public List<SlaClockRecord> ClocksCreated { get; } = [];

    public List<SlaClockRecord> ClocksUpdated { get; } = [];

    /// <summary>Calendar layer versions saved, as JSON, by name and effective time.</summary>
    public List<(string Name, DateTimeOffset EffectiveFrom, string Json)> CalendarLayers { get; } = [];
}
