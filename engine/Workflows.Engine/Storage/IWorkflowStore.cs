namespace Workflows.Engine.Storage;

/// <summary>
/// The durable store behind the engine. Reads are indexed lookups; <see cref="CommitAsync"/> applies a
/// whole <see cref="ChangeSet"/> in one transaction, refusing it with
/// <see cref="ConcurrencyConflictException"/> when an instance's row version moved.
/// </summary>
internal interface IWorkflowStore
{
    ValueTask<DefinitionRecord?> GetDefinitionAsync(Guid id, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetLatestDefinitionAsync(string processId, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetDefinitionByVersionAsync(string processId, int version, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetDefinitionByVersionTagAsync(string processId, string versionTag, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetDefinitionInDeploymentAsync(Guid deploymentId, string processId, CancellationToken ct);

    ValueTask<InstanceRecord?> GetInstanceAsync(Guid id, CancellationToken ct);

    /// <summary>Instances by process id and/or business key, newest first, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<InstanceRecord>> FindInstancesAsync(string? processId, string? businessKey, int max, CancellationToken ct);

    ValueTask<UserTaskRecord?> GetUserTaskAsync(Guid id, CancellationToken ct);

    ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksAsync(Guid instanceId, CancellationToken ct);

    ValueTask<JobRecord?> GetJobAsync(Guid id, CancellationToken ct);

    ValueTask<IReadOnlyList<JobRecord>> GetJobsAsync(Guid? instanceId, string? type, CancellationToken ct);

    /// <summary>
    /// Leases up to <paramref name="max"/> due timers to <paramref name="owner"/> until <paramref name="leaseUntil"/>,
    /// skipping those another node holds; a lease that expired (its node died) can be taken over.
    /// </summary>
    ValueTask<IReadOnlyList<TimerRecord>> ClaimDueTimersAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>Leases due jobs of the given types, as <see cref="ClaimDueTimersAsync"/> does timers.</summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsAsync(IReadOnlyCollection<string> types, DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct);

    ValueTask<TimerRecord?> GetTimerAsync(Guid id, CancellationToken ct);

    /// <summary>The earliest due time among timers no node holds a live lease on at <paramref name="now"/>.</summary>
    ValueTask<DateTimeOffset?> GetNextTimerDueAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>Open subscriptions of instances for a message name and correlation key, oldest first.</summary>
    ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageSubscriptionsAsync(string name, string correlationKey, CancellationToken ct);

    /// <summary>Message start events of the latest deployed versions for a message name.</summary>
    ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageStartsAsync(string name, CancellationToken ct);

    ValueTask<IReadOnlyList<SignalSubscriptionRecord>> FindSignalSubscriptionsAsync(string name, CancellationToken ct);

    /// <summary>Start subscriptions (timers, messages, signals) registered for a process id, to replace them on deploy.</summary>
    ValueTask<(IReadOnlyList<TimerRecord> Timers, IReadOnlyList<MessageSubscriptionRecord> Messages, IReadOnlyList<SignalSubscriptionRecord> Signals)> GetStartSubscriptionsAsync(string processId, CancellationToken ct);

    /// <summary>Unexpired buffered messages for a name and key that were not yet correlated to <paramref name="instanceId"/>.</summary>
    ValueTask<IReadOnlyList<BufferedMessageRecord>> FindBufferedMessagesAsync(string name, string correlationKey, Guid instanceId, DateTimeOffset now, CancellationToken ct);

    ValueTask<BufferedMessageRecord?> FindBufferedMessageByIdAsync(string messageId, DateTimeOffset now, CancellationToken ct);

    ValueTask<IncidentRecord?> GetIncidentAsync(Guid id, CancellationToken ct);

    ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(Guid instanceId, CancellationToken ct);

    ValueTask<IReadOnlyList<HistoryRecord>> GetHistoryAsync(Guid instanceId, CancellationToken ct);

    ValueTask<IReadOnlyList<OutboxRecord>> GetOutboxAsync(Guid? instanceId, CancellationToken ct);

    /// <summary>Deletes the history of instances that ended before <paramref name="endedBefore"/>, in batches.</summary>
    /// <returns>How many history rows were deleted.</returns>
    Task<long> DeleteHistoryAsync(DateTimeOffset endedBefore, int batchSize, CancellationToken ct);

    ValueTask CommitAsync(ChangeSet changes, CancellationToken ct);
}
