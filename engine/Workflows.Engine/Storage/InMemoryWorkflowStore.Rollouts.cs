namespace Workflows.Engine.Storage;

// Version approvals, rollout plans and each process's active-rollout lock.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<(string ProcessId, int Version), VersionApprovalRecord> _approvals = [];
    private readonly Dictionary<Guid, (RolloutWrite Row, long Revision)> _rollouts = [];
    private readonly Dictionary<string, Guid> _rolloutLocks = new(StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<(string Json, long Revision)>> GetRolloutsAsync(string? processId, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<(string, long)> rows = _rollouts.Values.Where(r => processId is null || r.Row.ProcessId == processId)
                .OrderByDescending(r => r.Row.CreatedAt).ThenByDescending(r => r.Row.Id).Take(max).Select(r => (r.Row.Json, r.Revision)).ToList();
            return new(rows);
        }
    }

    public ValueTask<(string Json, long Revision)?> GetRolloutAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_rollouts.TryGetValue(id, out var r) ? (r.Row.Json, r.Revision) : null);
        }
    }

    public ValueTask<Guid?> GetActiveRolloutAsync(string processId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_rolloutLocks.TryGetValue(processId, out var id) ? id : null);
        }
    }

    public ValueTask<IReadOnlyList<VersionApprovalRecord>> GetApprovalsAsync(string? processId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<VersionApprovalRecord> rows = _approvals.Values.Where(a => processId is null || a.ProcessId == processId)
                .OrderBy(a => a.ProcessId, StringComparer.Ordinal).ThenBy(a => a.Version).ToList();
            return new(rows);
        }
    }

    private void CheckRollouts(ChangeSet changes)
    {
        if (changes.Part<RolloutChanges>() is not { } rollouts)
        {
            return;
        }

        foreach (var approval in rollouts.Approvals.Where(a => _approvals.ContainsKey((a.ProcessId, a.Version))))
        {
            throw CommitGuards.RowExists($"approval of process '{approval.ProcessId}' version {approval.Version}");
        }

        foreach (var write in rollouts.Rollouts)
        {
            long? current = _rollouts.TryGetValue(write.Id, out var stored) ? stored.Revision : null;
            if (write.ExpectedRevision is { } expected ? current != expected : current is not null)
            {
                throw new ConcurrencyConflictException($"rollout {write.Id} changed since it was read (expected revision {write.ExpectedRevision})");
            }
        }

        foreach (var (processId, _) in rollouts.LocksTaken.Where(l => _rolloutLocks.ContainsKey(l.ProcessId) && !rollouts.LocksReleased.Contains(l.ProcessId)))
        {
            throw CommitGuards.RowExists($"the active rollout of process '{processId}'");
        }
    }

    private void ApplyRollouts(ChangeSet changes)
    {
        if (changes.Part<RolloutChanges>() is not { } rollouts)
        {
            return;
        }

        foreach (var approval in rollouts.Approvals)
        {
            _approvals[(approval.ProcessId, approval.Version)] = approval;
        }

        foreach (var write in rollouts.Rollouts)
        {
            _rollouts[write.Id] = (write, write.Revision);
        }

        foreach (var processId in rollouts.LocksReleased)
        {
            _rolloutLocks.Remove(processId);
        }

        foreach (var (processId, rolloutId) in rollouts.LocksTaken)
        {
            _rolloutLocks[processId] = rolloutId;
        }
    }
}
