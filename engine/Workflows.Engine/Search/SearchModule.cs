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
        if (instance.Definition.Process.Searchable.Count > 0)
        {
            instance.AddPart(new IndexedValues(Current(instance)));
        }
    }

    /// <summary>The instance's searchable values now, by name; a missing or ill-typed value is absent.</summary>
    public static Dictionary<string, IndexedValue> Current(LoadedInstance instance)
    {
        var values = new Dictionary<string, IndexedValue>(StringComparer.Ordinal);
        foreach (var variable in instance.Definition.Process.Searchable)
        {
            if (SearchIndex.TryIndexValue(instance.State.Variables[variable.Name], variable.Type, out var value))
            {
                values[variable.Name] = value;
            }
        }

        return values;
    }
}

/// <summary>The searchable values of an instance as the index holds them when the command loaded it.</summary>
internal sealed class IndexedValues(Dictionary<string, IndexedValue> values)
{
    public Dictionary<string, IndexedValue> Values { get; } = values;
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

    public void OnCommitting(Dictionary<Guid, LoadedInstance>.ValueCollection instances)
    {
        foreach (var instance in instances)
        {
            if (instance.Definition.Process.Searchable.Count == 0)
            {
                continue;
            }

            var before = instance.Part<IndexedValues>()?.Values;
            var now = SearchModule.Current(instance);
            foreach (var (name, value) in now)
            {
                if (before is null || !before.TryGetValue(name, out var old))
                {
                    execution.Changes.PartToFill<SearchIndexChanges>().Inserted.Add(new Storage.VariableIndexRecord(instance.Id, name, value));
                }
                else if (old != value)
                {
                    execution.Changes.PartToFill<SearchIndexChanges>().Updated.Add(new Storage.VariableIndexRecord(instance.Id, name, value));
                }
            }

            if (before is not null)
            {
                foreach (var name in before.Keys)
                {
                    if (!now.ContainsKey(name))
                    {
                        execution.Changes.PartToFill<SearchIndexChanges>().Removed.Add((instance.Id, name));
                    }
                }
            }
        }
    }
}
