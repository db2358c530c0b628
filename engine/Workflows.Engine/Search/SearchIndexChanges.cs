using Workflows.Engine.Storage;

namespace Workflows.Engine.Search;

/// <summary>
/// The search module's part of a change set: index rows inserted (a value the index did not have), updated (a
/// new value) and removed (the variable was unset or no longer of its type). Every store writes it in the commit's
/// transaction, so a search never sees an instance's values other than as committed.
/// </summary>
internal sealed class SearchIndexChanges
{
    public List<VariableIndexRecord> Inserted { get; } = [];

    public List<VariableIndexRecord> Updated { get; } = [];

    public List<(Guid InstanceId, string Name)> Removed { get; } = [];
}
