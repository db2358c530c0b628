namespace Workflows.Engine.Storage;

// The commit: every guard checked before anything is written, then each concern applies its part.
internal sealed partial class InMemoryWorkflowStore : IGuardedRows
{
    public ValueTask CommitAsync(ChangeSet changes, CancellationToken ct)
    {
        lock (_gate)
        {
            CommitGuards.Check(changes, this);
            CheckServiceLevels(changes);
            CheckBatchItems(changes);
            CheckRollouts(changes);
            CheckDecisions(changes);
            ApplyDefinitionsAndInstances(changes);
            ApplyTasks(changes);
            ApplySchedules(changes);
            if (changes.HasRareChanges)
            {
                ApplyMessages(changes);
                ApplyMigrations(changes);
                ApplyIdempotencyKeys(changes);
            }

            ApplyServiceLevels(changes);
            ApplyBatchItems(changes);
            ApplySearchIndex(changes);
            ApplyRollouts(changes);
            ApplyDecisions(changes);
        }

        return ValueTask.CompletedTask;
    }

    long? IGuardedRows.InstanceRowVersion(Guid id) => _instances.TryGetValue(id, out var instance) ? instance.RowVersion : null;

    bool IGuardedRows.Exists(RowKind kind, Guid id) => kind switch
    {
        RowKind.Definition => _definitions.ContainsKey(id),
        RowKind.Task => _tasks.ContainsKey(id),
        RowKind.Job => _jobs.ContainsKey(id),
        RowKind.Timer => _timers.ContainsKey(id),
        RowKind.MessageSubscription => _messageSubscriptions.ContainsKey(id),
        RowKind.SignalSubscription => _signalSubscriptions.ContainsKey(id),
        RowKind.BufferedMessage => _buffered.ContainsKey(id),
        RowKind.Incident => _incidents.ContainsKey(id),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such row kind"),
    };

    bool IGuardedRows.DefinitionVersionExists(string processId, int version) =>
        _definitionsByProcess.TryGetValue(processId, out var list) && list.Exists(d => d.Version == version);

    bool IGuardedRows.InInbox(string messageId) => _inbox.Contains(messageId);

    long? IGuardedRows.BranchRevision(string id) => _branches.TryGetValue(id, out var branch) ? branch.Revision : null;

    bool IGuardedRows.Correlated(MessageCorrelation correlation) => _correlations.Contains((correlation.BufferedMessageId, correlation.ProcessId));

    MessageStartLockRecord? IGuardedRows.MessageStartLock(string processId, string correlationKey) => _startLocks.GetValueOrDefault((processId, correlationKey));

    bool IGuardedRows.HasOpenStateIncident(Guid instanceId) =>
        _incidentsByInstance.TryGetValue(instanceId, out var ids)
        && ids.Exists(id => _incidents[id] is { ElementKey: IncidentRecord.InstanceStateKey, ResolvedAt: null });
}
