namespace Workflows.Engine.Storage;

/// <summary>
/// The in-memory store: the same contract as the database stores (the store suite runs on both), with the
/// same indexes as dictionaries. Instances are kept serialised (their state bytes), as a database keeps
/// them, so a waiting instance costs its few hundred bytes of state rather than a live object graph.
/// </summary>
/// <remarks>
/// One lock serialises every read and commit. Each concern keeps its tables in its own file
/// (definitions and instances here; tasks, schedules, messages, service levels beside it) and applies its
/// part of a change set there; <see cref="CommitAsync"/> checks the <see cref="CommitGuards"/> first, so a
/// refused commit leaves no trace.
/// </remarks>
internal sealed partial class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, DefinitionRecord> _definitions = [];
    private readonly Dictionary<string, List<DefinitionRecord>> _definitionsByProcess = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, InstanceRecord> _instances = [];
    private readonly Dictionary<Guid, IncidentRecord> _incidents = [];
    private readonly Dictionary<Guid, List<Guid>> _incidentsByInstance = [];
    // Per instance, each commit's rows as one array of the exact size: no list of rows grown (and copied) as they come.
    private readonly Dictionary<Guid, List<HistoryRow[]>> _history = [];

    // ---------------------------------------------------------------- definitions

    public ValueTask<DefinitionRecord?> GetDefinitionAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitions.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<DefinitionRecord>> GetDefinitionsAsync(string? processId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<DefinitionRecord> all = _definitionsByProcess
                .Where(p => processId is null || p.Key == processId)
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .SelectMany(p => p.Value.OrderBy(d => d.Version).Select(d => d with { Xml = "" }))
                .ToList();
            return new(all);
        }
    }

    public ValueTask<DefinitionRecord?> GetLatestDefinitionAsync(string processId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitionsByProcess.TryGetValue(processId, out var list) ? Latest(list) : null);
        }
    }

    // Read on every start: a loop, as MaxBy would box the list's enumerator each time.
    private static DefinitionRecord? Latest(List<DefinitionRecord> versions)
    {
        DefinitionRecord? latest = null;
        foreach (var definition in versions)
        {
            if (latest is null || definition.Version > latest.Version)
            {
                latest = definition;
            }
        }

        return latest;
    }

    public ValueTask<DefinitionRecord?> GetDefinitionByVersionAsync(string processId, int version, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitionsByProcess.TryGetValue(processId, out var list) ? list.Find(d => d.Version == version) : null);
        }
    }

    // The record itself: its XML costs nothing to hand over here.
    public ValueTask<DefinitionRecord?> FindVersionAsync(string processId, int? version, CancellationToken ct) =>
        version is { } v ? GetDefinitionByVersionAsync(processId, v, ct) : GetLatestDefinitionAsync(processId, ct);

    public ValueTask<DefinitionRecord?> GetDefinitionByVersionTagAsync(string processId, string versionTag, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitionsByProcess.TryGetValue(processId, out var list) ? list.Where(d => d.VersionTag == versionTag).MaxBy(d => d.Version) : null);
        }
    }

    public ValueTask<DefinitionRecord?> GetDefinitionInDeploymentAsync(Guid deploymentId, string processId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitionsByProcess.TryGetValue(processId, out var list) ? list.FindLast(d => d.DeploymentId == deploymentId) : null);
        }
    }

    public ValueTask<(IReadOnlyList<TimerRecord> Timers, IReadOnlyList<MessageSubscriptionRecord> Messages, IReadOnlyList<SignalSubscriptionRecord> Signals)> GetStartSubscriptionsAsync(string processId, CancellationToken ct)
    {
        lock (_gate)
        {
            var definitionIds = _definitionsByProcess.TryGetValue(processId, out var list) ? list.Select(d => d.Id).ToHashSet() : [];
            return new((
                _timers.Values.Where(t => t.InstanceId is null && definitionIds.Contains(t.DefinitionId)).ToList(),
                _messageSubscriptions.Values.Where(s => s.InstanceId is null && definitionIds.Contains(s.DefinitionId)).ToList(),
                _signalSubscriptions.Values.Where(s => s.InstanceId is null && definitionIds.Contains(s.DefinitionId)).ToList()));
        }
    }

    // ---------------------------------------------------------------- instances, incidents, history

    public ValueTask<InstanceRecord?> GetInstanceAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_instances.GetValueOrDefault(id));
        }
    }

    // Reads in memory cost nothing: the clocks are left to the module, which reads them only for an instance that keeps clocks.
    public ValueTask<(InstanceRecord? Instance, IReadOnlyList<ServiceLevels.SlaClockRecord>? OpenClocks)> GetInstanceWithClocksAsync(Guid id, bool openClocks, CancellationToken ct)
    {
        lock (_gate)
        {
            return new((_instances.GetValueOrDefault(id), null));
        }
    }

    public ValueTask<IReadOnlyList<InstanceRecord>> GetInstancesAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<InstanceRecord> found = ids.Distinct().Select(id => _instances.GetValueOrDefault(id)).OfType<InstanceRecord>().ToList();
            return new(found);
        }
    }

    public ValueTask<IncidentRecord?> GetIncidentAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_incidents.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(string? branch, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<IncidentRecord> open = _incidents.Values
                .Where(i => i.ResolvedAt is null && (branch is null || (_instances.TryGetValue(i.InstanceId, out var instance) && instance.Branch == branch)))
                .OrderBy(i => i.CreatedAt)
                .Take(max)
                .ToList();
            return new(open);
        }
    }

    public ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(Guid instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<IncidentRecord> result = _incidentsByInstance.TryGetValue(instanceId, out var ids)
                ? ids.Select(id => _incidents[id]).Where(i => i.ResolvedAt is null).OrderBy(i => i.CreatedAt).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<HistoryRecord>> GetHistoryAsync(Guid instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_history.TryGetValue(instanceId, out var commits))
            {
                return new(Array.Empty<HistoryRecord>());
            }

            var records = new List<HistoryRecord>();
            foreach (var rows in commits)
            {
                foreach (var row in rows)
                {
                    records.Add(row.ToRecord(instanceId));
                }
            }

            return new(records);
        }
    }

    public Task<long> DeleteHistoryAsync(DateTimeOffset endedBefore, int batchSize, CancellationToken ct)
    {
        lock (_gate)
        {
            long deleted = 0;
            foreach (var instance in _instances.Values.Where(i => i.EndedAt < endedBefore))
            {
                if (_history.Remove(instance.Id, out var commits))
                {
                    deleted += commits.Sum(rows => (long)rows.Length);
                }
            }

            return Task.FromResult(deleted);
        }
    }

    private void ApplyDefinitionsAndInstances(ChangeSet changes)
    {
        if (changes.HasRareChanges)
        {
            ApplyDefinitions(changes);
        }

        foreach (var write in changes.Instances)
        {
            PutInstance(write.Record);
        }

        if (changes.HasRareChanges)
        {
            ApplyIncidents(changes);
        }

        // Each run of rows of one instance becomes one array (a command's rows are usually all one instance's).
        var history = changes.History;
        for (var start = 0; start < history.Count;)
        {
            var instanceId = history[start].InstanceId;
            var end = start + 1;
            while (end < history.Count && history[end].InstanceId == instanceId)
            {
                end++;
            }

            var rows = new HistoryRow[end - start];
            for (var i = start; i < end; i++)
            {
                rows[i - start] = HistoryRow.Of(history[i]);
            }

            if (!_history.TryGetValue(instanceId, out var commits))
            {
                _history[instanceId] = commits = [];
            }

            commits.Add(rows);
            start = end;
        }
    }

    private void ApplyDefinitions(ChangeSet changes)
    {
        foreach (var d in changes.Definitions)
        {
            _definitions[d.Id] = d;
            Add(_definitionsByProcess, d.ProcessId, d);
        }

        foreach (var (id, xml) in changes.DiagramsReplaced)
        {
            if (_definitions.TryGetValue(id, out var d))
            {
                var redrawn = d with { Xml = xml };
                _definitions[id] = redrawn;
                var versions = _definitionsByProcess[d.ProcessId];
                versions[versions.IndexOf(d)] = redrawn;
            }
        }
    }

    private void ApplyIncidents(ChangeSet changes)
    {
        foreach (var i in changes.IncidentsCreated)
        {
            _incidents[i.Id] = i;
            Add(_incidentsByInstance, i.InstanceId, i.Id);
        }

        foreach (var (id, at) in changes.IncidentsResolved)
        {
            if (_incidents.TryGetValue(id, out var incident))
            {
                _incidents[id] = incident with { ResolvedAt = at };
            }
        }
    }

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> index, TKey key, TValue value)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }

        list.Add(value);
    }

    private static void Add<TKey>(Dictionary<TKey, HashSet<Guid>> index, TKey key, Guid id)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var set))
        {
            index[key] = set = [];
        }

        set.Add(id);
    }

    private static void Remove<TKey>(Dictionary<TKey, List<Guid>> index, TKey key, Guid id)
        where TKey : notnull
    {
        if (index.TryGetValue(key, out var list))
        {
            list.Remove(id);
            if (list.Count == 0)
            {
                index.Remove(key);
            }
        }
    }
}

/// <summary>
/// A history row as the in-memory store keeps it: inline in its instance's list, without the instance id it is kept
/// under. A finished instance keeps thirty or so rows for the life of the store, and as objects of their own each was
/// one more for the collector to trace on every full collection.
/// </summary>
/// <remarks>
/// Kept small, as every row stays: the moment as its UTC ticks (the engine's clock is UTC), no element key as
/// <see cref="NoKey"/> rather than a nullable's extra word, and a detail that is an id's text (a task's, a job's: the
/// detail of most rows) as the id itself, 32 bytes boxed rather than a 96-byte string; each is read back as it was given.
/// </remarks>
internal readonly struct HistoryRow
{
    private const long NoKey = long.MinValue;

    private readonly long _atUtcTicks;
    private readonly long _elementKey;
    private readonly string _kind;
    private readonly string? _elementId;
    private readonly string? _actor;
    private readonly object? _detail; // the detail's text, or the Guid whose "D" text it was

    private HistoryRow(HistoryRecord h)
    {
        _atUtcTicks = h.At.UtcTicks;
        _elementKey = h.ElementKey ?? NoKey;
        _kind = h.Kind;
        _elementId = h.ElementId;
        _actor = h.Actor;
        _detail = IdText(h.Detail);
    }

    public static HistoryRow Of(HistoryRecord h) => new(h);

    public HistoryRecord ToRecord(Guid instanceId) =>
        new(instanceId, new DateTimeOffset(_atUtcTicks, TimeSpan.Zero), _kind, _elementId, _elementKey == NoKey ? null : _elementKey, _actor,
            _detail is Guid id ? id.ToString() : (string?)_detail);

    // An id written as Guid.ToString() writes it (36 characters, lower case), kept as the id; any other text as it is.
    private static object? IdText(string? detail)
    {
        if (detail is { Length: 36 } && Guid.TryParseExact(detail, "D", out var id) && !detail.AsSpan().ContainsAnyInRange('A', 'F'))
        {
            return id;
        }

        return detail;
    }
}
