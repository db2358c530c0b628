using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
internal sealed partial class InMemoryWorkflowStore : IWorkflowStore, IKeepsParsedStates
{
    /// <inheritdoc/>
    public InMemoryParsedStates ParsedStates { get; } = new();

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, DefinitionRecord> _definitions = [];
    private readonly Dictionary<string, List<DefinitionRecord>> _definitionsByProcess = new(StringComparer.Ordinal);
    private readonly InMemoryRowsById<InstanceRecord> _instances = new();
    private readonly Dictionary<Guid, IncidentRecord> _incidents = [];
    private readonly Dictionary<Guid, List<Guid>> _incidentsByInstance = [];
    // Per instance, each commit's rows as one array of the exact size (no list of rows grown and copied as they come),
    // made one array when the instance ends.
    private readonly InMemoryRowsById<InstanceHistory> _history = new();
    private readonly InMemoryHistoryLog _historyLog = new();

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

    public async ValueTask<((string Json, long Revision)? Branch, DefinitionRecord? Likely, IReadOnlyList<VersionApprovalRecord>? Approvals)> FindBranchAndVersionAsync(
        string branchId, string processId, int? likelyVersion, bool approvals, CancellationToken ct) =>
        (await GetBranchAsync(branchId, ct).ConfigureAwait(false),
            likelyVersion is { } v ? await GetDefinitionByVersionAsync(processId, v, ct).ConfigureAwait(false) : null,
            approvals ? await GetApprovalsAsync(processId, ct).ConfigureAwait(false) : null);

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
            if (!_history.TryGetValue(instanceId, out var history))
            {
                return new(Array.Empty<HistoryRecord>());
            }

            var records = new List<HistoryRecord>((int)history.Count);
            history.AddTo(records, instanceId, _historyLog);
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
                if (_history.Remove(instance.Id, out var history))
                {
                    deleted += history.Count;
                    history.Release(_historyLog);
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

            ref var kept = ref CollectionsMarshal.GetValueRefOrAddDefault(_history.ForWriting(instanceId), instanceId, out _);
            if (!EndsIn(changes, instanceId) || !kept.WriteEnded(history, start, end, _historyLog))
            {
                var rows = new HistoryRow[end - start];
                for (var i = start; i < end; i++)
                {
                    rows[i - start] = HistoryRow.Of(history[i], _historyLog.Texts);
                }

                kept.Append(rows, _historyLog);
            }

            start = end;
        }

        // What an ended instance keeps, it keeps for the life of the store: its history as one run of the log's large arrays.
        foreach (var write in changes.Instances)
        {
            if (write.Record.EndedAt is not null)
            {
                ref var ended = ref CollectionsMarshal.GetValueRefOrNullRef(_history.For(write.Record.Id), write.Record.Id);
                if (!Unsafe.IsNullRef(ref ended))
                {
                    ended.Compact(_historyLog);
                }
            }
        }
    }

    private static bool EndsIn(ChangeSet changes, Guid instanceId)
    {
        foreach (var write in changes.Instances)
        {
            if (write.Record.Id == instanceId && write.Record.EndedAt is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How many arrays hold an instance's history rows (one once it has ended), for tests that check what is kept.</summary>
    internal int HistoryArrays(Guid instanceId)
    {
        lock (_gate)
        {
            return _history.TryGetValue(instanceId, out var history) ? history.Arrays : 0;
        }
    }

    /// <summary>How many of the history log's large arrays are held, for tests that check deleted rows let theirs go.</summary>
    internal int HistoryChunks
    {
        get
        {
            lock (_gate)
            {
                return _historyLog.Chunks;
            }
        }
    }

    /// <summary>How many history rows' details are held as text, for tests that check deleted rows give theirs back.</summary>
    internal int HistoryDetailTexts
    {
        get
        {
            lock (_gate)
            {
                return _historyLog.Texts.DetailsHeld;
            }
        }
    }

    /// <summary>How many names (kinds, element ids, actors) the history's rows are kept with, for tests that check deleted rows drop theirs.</summary>
    internal int HistoryNames
    {
        get
        {
            lock (_gate)
            {
                return _historyLog.Texts.NamesHeld;
            }
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
