namespace Workflows.Engine.Storage;

/// <summary>
/// Instances, their incidents and history, and the one write every command makes: <see cref="CommitAsync"/>
/// applies a whole <see cref="ChangeSet"/> in one transaction, refusing it with
/// <see cref="ConcurrencyConflictException"/> when one of its <see cref="CommitGuards"/> does not hold.
/// </summary>
internal interface IInstanceStore
{
    ValueTask<InstanceRecord?> GetInstanceAsync(Guid id, CancellationToken ct);

    /// <summary>
    /// An instance's row and, with <paramref name="openClocks"/>, its open service-level clocks read after it, in one
    /// round trip on a server; a store whose reads cost none (SQLite, memory) leaves the clocks null, for a read of their
    /// own when the instance keeps clocks (as <see cref="ITaskQueueStore.GetTaskWithInstanceAsync"/>).
    /// </summary>
    ValueTask<(InstanceRecord? Instance, IReadOnlyList<ServiceLevels.SlaClockRecord>? OpenClocks)> GetInstanceWithClocksAsync(Guid id, bool openClocks, CancellationToken ct);

    /// <summary>The instances of those ids that exist, in no particular order.</summary>
    ValueTask<IReadOnlyList<InstanceRecord>> GetInstancesAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct);

    /// <summary>Instances matching the filter, newest first (by start, then id).</summary>
    ValueTask<IReadOnlyList<InstanceRecord>> FindInstancesAsync(InstanceFilter filter, CancellationToken ct);

    /// <summary>
    /// The active instances whose row names <paramref name="parentId"/> as their caller, oldest first: what a caller whose
    /// state cannot be read called, found without its state.
    /// </summary>
    ValueTask<IReadOnlyList<InstanceRecord>> GetActiveCalledInstancesAsync(Guid parentId, CancellationToken ct);

    ValueTask<IncidentRecord?> GetIncidentAsync(Guid id, CancellationToken ct);

    /// <summary>Open incidents of one instance, oldest first.</summary>
    ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(Guid instanceId, CancellationToken ct);

    /// <summary>Open incidents of every instance (of one branch when given), oldest first, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(string? branch, int max, CancellationToken ct);

    /// <summary>An instance's history, in the order it was written.</summary>
    ValueTask<IReadOnlyList<HistoryRecord>> GetHistoryAsync(Guid instanceId, CancellationToken ct);

    /// <summary>Deletes the history of instances that ended before <paramref name="endedBefore"/>, in batches.</summary>
    /// <returns>How many history rows were deleted.</returns>
    Task<long> DeleteHistoryAsync(DateTimeOffset endedBefore, int batchSize, CancellationToken ct);

    /// <summary>Writes everything a command changed, or nothing.</summary>
    /// <exception cref="ConcurrencyConflictException">A guard of the change set did not hold; nothing was written.</exception>
    ValueTask CommitAsync(ChangeSet changes, CancellationToken ct);
}
