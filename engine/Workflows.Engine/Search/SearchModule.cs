using Workflows.Engine.Modules;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Search;

/// <summary>
/// Search by variable values plugged into the core: the searchable values an instance had when a command loaded
/// it are kept with it, and before the commit the values that changed go to the change set as index rows
/// (<see cref="SearchIndexChanges"/>). An instance of a process that declares nothing searchable costs nothing.
/// </summary>
internal sealed class SearchModule : IEngineModule
{
    public IDueWorkSource? DueWork => null;

    public Task BeforeCommandAsync(CancellationToken ct) => Task.CompletedTask;

    public ValueTask OnLoadedAsync(LoadedInstance instance, CancellationToken ct)
    {
        Remember(instance);
        return ValueTask.CompletedTask;
    }

    public ValueTask OnLoadedAsync(IReadOnlyList<LoadedInstance> instances, CancellationToken ct)
    {
        foreach (var instance in instances)
        {
            Remember(instance);
        }

        return ValueTask.CompletedTask;
    }

    public IElementLifecycleListener[] CreateListeners(Execution execution) => [new SearchIndexWriter(execution)];

    public Handoff OnHandoff(LoadedInstance instance, Handoff handoff) => handoff;

    // The index holds what the last commit wrote, which is what the loaded state says: kept to write only what changes.
    private static void Remember(LoadedInstance instance)
    {
        var searchable = instance.Definition.Process.Searchable;
        if (searchable.Count > 0)
        {
            // Variables a command keeps unread (a claim's: StoredVariables) are not read for the index either: its values
            // as loaded are read from the stored text, apart from the state's own context, only if the commit asks.
            instance.AddPart(instance.State.UnreadVariables is { } unread
                ? new IndexedValues(() => ValuesOf(unread.ReadApart(), searchable))
                : new IndexedValues(ValuesOf(instance.State.Variables, searchable)));
        }
    }

    private static IndexedValue?[] ValuesOf(Feel.FeelContext variables, IReadOnlyList<SearchableVariable> searchable)
    {
        var values = new IndexedValue?[searchable.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Current(variables, searchable[i]);
        }

        return values;
    }

    /// <summary>The variable's value now as the index keeps it; null when missing or not of its type.</summary>
    public static IndexedValue? Current(LoadedInstance instance, SearchableVariable variable) => Current(instance.State.Variables, variable);

    private static IndexedValue? Current(Feel.FeelContext variables, SearchableVariable variable) =>
        SearchIndex.TryIndexValue(variables[variable.Name], variable.Type, out var value) ? value : null;
}

/// <summary>The searchable values of an instance as the index holds them when the command loaded it, in the order declared.</summary>
internal sealed class IndexedValues
{
    private IndexedValue?[]? _values;
    private readonly Func<IndexedValue?[]>? _read;

    public IndexedValues(IndexedValue?[] values) => _values = values;

    /// <summary>Values read when first asked for (from variables the command kept unread).</summary>
    public IndexedValues(Func<IndexedValue?[]> read) => _read = read;

    public IndexedValue?[] Values => _values ??= _read!();
}

/// <summary>Before the commit: the index rows of the searchable values the command changed, set or unset.</summary>
internal sealed class SearchIndexWriter(Execution execution) : IElementLifecycleListener
{
    public void OnActivating(LoadedInstance instance, ElementInstance element, Model.FlowNode node)
    {
    }

    public ValueTask OnCompletingAsync(LoadedInstance instance, ElementInstance element, Model.FlowNode node) => ValueTask.CompletedTask;

    public void OnLeaving(LoadedInstance instance, ElementInstance element, bool completed)
    {
    }

    public void OnCommitting(LoadedInstanceSet instances)
    {
        foreach (var instance in instances)
        {
            if (instance.Definition.Process.Searchable.Count == 0)
            {
                continue;
            }

            if (instance.StateUnchanged)
            {
                continue; // its variables are the ones the index holds (and a claim's are not even read)
            }

            // Created by this command: no part, everything set is new.
            var before = instance.Part<IndexedValues>()?.Values;
            var searchable = instance.Definition.Process.Searchable;
            for (var i = 0; i < searchable.Count; i++)
            {
                var now = SearchModule.Current(instance, searchable[i]);
                var old = before?[i];
                if (now == old)
                {
                    continue;
                }

                var name = searchable[i].Name;
                var changes = execution.Changes.PartToFill<SearchIndexChanges>();
                if (now is not { } value)
                {
                    changes.Removed.Add((instance.Id, name));
                }
                else if (old is null)
                {
                    changes.Inserted.Add(new Storage.VariableIndexRecord(instance.Id, name, value));
                }
                else
                {
                    changes.Updated.Add(new Storage.VariableIndexRecord(instance.Id, name, value));
                }
            }
        }
    }
}
