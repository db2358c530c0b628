using Workflows.Engine.Storage;

namespace Workflows.Engine.Search;

/// <summary>
/// The search module's part of a change set: index rows inserted (a value the index did not have), updated (a
/// new value) and removed (the variable was unset or no longer of its type). Every store writes it in the commit's
/// transaction, so a search never sees an instance's values other than as committed.
/// </summary>
internal sealed class SearchIndexChanges
{
    // A start only inserts: the other lists are made when first needed.
    private List<VariableIndexRecord>? _updated;
    private List<(Guid InstanceId, string Name)>? _removed;

    public List<VariableIndexRecord> Inserted { get; } = new(4);

    public List<VariableIndexRecord> Updated => _updated ??= [];

    public List<(Guid InstanceId, string Name)> Removed => _removed ??= [];

    /// <summary>Whether any value changed or was unset (without making the lists).</summary>
    public bool HasUpdatesOrRemovals => _updated is { Count: > 0 } || _removed is { Count: > 0 };
}
