using Workflows.Engine.Search;

namespace Workflows.Engine.Storage;

// An instance's wait points for inspection, and the variable index that instance and task searches filter on.
internal sealed partial class InMemoryWorkflowStore
{
    // One map over every instance's values: a dictionary per instance would cost more than its two or three entries.
    private readonly Dictionary<(Guid InstanceId, string Name), IndexedValue> _variableIndex = [];

    public ValueTask<InstanceWaits> GetWaitsAsync(Guid instanceId, CancellationToken ct)
    {
        // Scans: an operator's read of one instance, rare beside the commands' indexed reads.
        lock (_gate)
        {
            return new(new InstanceWaits(
                _timers.Values.Where(t => t.InstanceId == instanceId).OrderBy(t => t.DueAt)
                    .Select(t => _leases.TryGetValue(t.Id, out var lease) ? new LeasedTimer(t, lease.Owner, lease.Until) : new LeasedTimer(t, null, null))
                    .ToList(),
                _messageSubscriptions.Values.Where(s => s.InstanceId == instanceId).OrderBy(s => s.CreatedAt).ToList(),
                _signalSubscriptions.Values.Where(s => s.InstanceId == instanceId).OrderBy(s => s.ElementKey).ToList(),
                _jobs.Values.Where(j => j.InstanceId == instanceId).OrderBy(j => j.CreatedAt)
                    .Select(j => _leases.TryGetValue(j.Id, out var lease) ? new LeasedJob(j, lease.Owner, lease.Until) : new LeasedJob(j, null, null))
                    .ToList()));
        }
    }

    public ValueTask<IReadOnlyList<VariableIndexRecord>> GetIndexedVariablesAsync(Guid instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            // A scan, like the wait points': a diagnostic read, where a second map per instance would cost every start.
            IReadOnlyList<VariableIndexRecord> rows = _variableIndex.Where(v => v.Key.InstanceId == instanceId).OrderBy(v => v.Key.Name, StringComparer.Ordinal)
                .Select(v => new VariableIndexRecord(instanceId, v.Key.Name, v.Value)).ToList();
            return new(rows);
        }
    }

    // The instances of each business key, as the databases' index on it: a start with a unique key looks its key up
    // here, not through every instance the store has kept (which made each start cost more than the one before).
    private readonly Dictionary<string, HashSet<Guid>> _instancesByKey = new(StringComparer.Ordinal);

    /// <summary>Keeps an instance's row and its business key's index (under the gate).</summary>
    private void PutInstance(InstanceRecord record)
    {
        if (_instances.TryGetValue(record.Id, out var before) && before.BusinessKey is { } was && was != record.BusinessKey
            && _instancesByKey.TryGetValue(was, out var ids))
        {
            ids.Remove(record.Id);
        }

        _instances[record.Id] = record;
        if (record.BusinessKey is { } key)
        {
            if (!_instancesByKey.TryGetValue(key, out var keyed))
            {
                _instancesByKey[key] = keyed = [];
            }

            keyed.Add(record.Id);
        }
    }

    public ValueTask<IReadOnlyList<InstanceRecord>> FindInstancesAsync(InstanceFilter filter, CancellationToken ct)
    {
        lock (_gate)
        {
            // A key names few instances: those alone are looked at (the key's index), as a database would.
            IEnumerable<InstanceRecord> candidates = filter.BusinessKey is null ? _instances.Values
                : _instancesByKey.TryGetValue(filter.BusinessKey, out var keyed) ? keyed.Select(id => _instances[id]) : [];
            return new(candidates
                .Where(i => (filter.ProcessId is null || i.ProcessId == filter.ProcessId) && (filter.BusinessKey is null || i.BusinessKey == filter.BusinessKey)
                    && (filter.Branch is null || i.Branch == filter.Branch) && (filter.CustomerId is null || i.CustomerId == filter.CustomerId)
                    && (filter.Status is null || i.Status == filter.Status) && (filter.Version is null || i.Version == filter.Version)
                    && (filter.HasIncident is not { } incident || HasOpenIncident(i.Id) == incident)
                    && MatchesVariables(i.Id, filter.Variables)
                    && (filter.After is not { } after || i.StartedAt < after.StartedAt || (i.StartedAt == after.StartedAt && i.Id.CompareTo(after.Id) < 0)))
                .OrderByDescending(i => i.StartedAt)
                .ThenByDescending(i => i.Id)
                .Take(filter.Max)
                .ToList());
        }
    }

    private bool HasOpenIncident(Guid instanceId) =>
        _incidentsByInstance.TryGetValue(instanceId, out var ids) && ids.Exists(id => _incidents[id].ResolvedAt is null);

    /// <summary>Whether the instance's indexed values pass every condition (under the gate).</summary>
    private bool MatchesVariables(Guid instanceId, IReadOnlyList<VariableCondition> conditions)
    {
        if (conditions.Count == 0)
        {
            return true;
        }

        foreach (var condition in conditions)
        {
            if (!_variableIndex.TryGetValue((instanceId, condition.Name), out var value) || !condition.Matches(value))
            {
                return false;
            }
        }

        return true;
    }

    private void ApplySearchIndex(ChangeSet changes)
    {
        if (changes.Part<SearchIndexChanges>() is not { } index)
        {
            return;
        }

        foreach (var row in index.Inserted)
        {
            _variableIndex[(row.InstanceId, row.Name)] = row.Value;
        }

        if (index.HasUpdatesOrRemovals)
        {
            foreach (var key in index.Removed)
            {
                _variableIndex.Remove(key);
            }

            foreach (var row in index.Updated)
            {
                _variableIndex[(row.InstanceId, row.Name)] = row.Value;
            }
        }
    }
}
