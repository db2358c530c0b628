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

    /// <summary>Every deployed version (of one process when given), by process id and version, without their XML.</summary>
    ValueTask<IReadOnlyList<DefinitionRecord>> GetDefinitionsAsync(string? processId, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetDefinitionByVersionAsync(string processId, int version, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetDefinitionByVersionTagAsync(string processId, string versionTag, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetDefinitionInDeploymentAsync(Guid deploymentId, string processId, CancellationToken ct);

    ValueTask<InstanceRecord?> GetInstanceAsync(Guid id, CancellationToken ct);

    /// <summary>The instances of those ids that exist, in no particular order.</summary>
    ValueTask<IReadOnlyList<InstanceRecord>> GetInstancesAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct);

    /// <summary>Instances matching the filter, newest first.</summary>
    ValueTask<IReadOnlyList<InstanceRecord>> FindInstancesAsync(InstanceFilter filter, CancellationToken ct);

    ValueTask<UserTaskRecord?> GetUserTaskAsync(Guid id, CancellationToken ct);

    ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksAsync(Guid instanceId, CancellationToken ct);

    ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, CancellationToken ct);

    ValueTask<JobRecord?> GetJobAsync(Guid id, CancellationToken ct);

    ValueTask<IReadOnlyList<JobRecord>> GetJobsAsync(Guid? instanceId, string? type, CancellationToken ct);

    /// <summary>
    /// Leases up to <paramref name="max"/> due timers to <paramref name="owner"/> until <paramref name="leaseUntil"/>,
    /// skipping those another node holds; a lease that expired (its node died) can be taken over.
    /// </summary>
    ValueTask<IReadOnlyList<TimerRecord>> ClaimDueTimersAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>Leases due jobs of the given types, as <see cref="ClaimDueTimersAsync"/> does timers.</summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsAsync(IReadOnlyCollection<string> types, DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>Leases due jobs of service tasks marked external (for workers over the bus), as <see cref="ClaimDueTimersAsync"/> does timers.</summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimDueExternalJobsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>Gives back leases <paramref name="owner"/> holds on those jobs, so they are claimable again at once.</summary>
    ValueTask ReleaseJobLeasesAsync(IReadOnlyCollection<Guid> ids, string owner, CancellationToken ct);

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

    /// <summary>
    /// Unexpired buffered messages for a name and key that no instance of <paramref name="processId"/> took yet:
    /// a message correlates at most once per process (Camunda 8).
    /// </summary>
    ValueTask<IReadOnlyList<BufferedMessageRecord>> FindBufferedMessagesAsync(string name, string correlationKey, string processId, DateTimeOffset now, CancellationToken ct);

    /// <summary>Whether a command already consumed the message of that id.</summary>
    ValueTask<bool> IsInInboxAsync(string messageId, CancellationToken ct);

    /// <summary>
    /// Marks buffered messages whose time-to-live ran out by <paramref name="now"/> as expired, at most
    /// <paramref name="max"/>, and returns those no instance ever took: they are kept, never dropped.
    /// </summary>
    ValueTask<(int Expired, IReadOnlyList<BufferedMessageRecord> Unclaimed)> ExpireBufferedMessagesAsync(DateTimeOffset now, int max, CancellationToken ct);

    /// <summary>Buffered messages that expired with no instance taking them, newest first.</summary>
    ValueTask<IReadOnlyList<BufferedMessageRecord>> GetExpiredMessagesAsync(int max, CancellationToken ct);

    ValueTask<IncidentRecord?> GetIncidentAsync(Guid id, CancellationToken ct);

    ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(Guid instanceId, CancellationToken ct);

    /// <summary>Open incidents of every instance (of one branch when given), oldest first, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(string? branch, int max, CancellationToken ct);

    ValueTask<IReadOnlyList<HistoryRecord>> GetHistoryAsync(Guid instanceId, CancellationToken ct);

    ValueTask<IReadOnlyList<OutboxRecord>> GetOutboxAsync(Guid? instanceId, CancellationToken ct);

    /// <summary>The oldest outbox rows not yet published, in outbox order, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<OutboxRecord>> GetUnpublishedOutboxAsync(int max, CancellationToken ct);

    /// <summary>Records that the rows of those sequence numbers reached the broker.</summary>
    ValueTask MarkOutboxPublishedAsync(IReadOnlyCollection<long> seqs, DateTimeOffset at, CancellationToken ct);

    /// <summary>
    /// Takes or renews the named lease for <paramref name="owner"/> until <paramref name="until"/> unless another
    /// owner holds it past <paramref name="now"/>: one node at a time does work that must stay in order.
    /// </summary>
    ValueTask<bool> TryTakeLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct);

    /// <summary>Deletes the history of instances that ended before <paramref name="endedBefore"/>, in batches.</summary>
    /// <returns>How many history rows were deleted.</returns>
    Task<long> DeleteHistoryAsync(DateTimeOffset endedBefore, int batchSize, CancellationToken ct);

    ValueTask CommitAsync(ChangeSet changes, CancellationToken ct);

    // ---------------------------------------------------------------- queues

    /// <summary>
    /// Open tasks matching <paramref name="query"/>'s filters, in its order, strictly after <paramref name="after"/>,
    /// at most <paramref name="limit"/>. With queues, each queue's index is walked on its own and the walks merged.
    /// </summary>
    ValueTask<IReadOnlyList<UserTaskRecord>> QueryTasksAsync(TaskQuery query, TaskSortKey? after, int limit, CancellationToken ct);

    // ---------------------------------------------------------------- clocks

    /// <summary>Leases due clocks, as <see cref="ClaimDueTimersAsync"/> does timers, earliest first.</summary>
    ValueTask<IReadOnlyList<SlaClockRecord>> ClaimDueClocksAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>The earliest next-due moment among clocks no node holds a live lease on.</summary>
    ValueTask<DateTimeOffset?> GetNextClockDueAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>Open clocks whose calendar chain names <paramref name="layer"/>.</summary>
    ValueTask<IReadOnlyList<SlaClockRecord>> FindOpenClocksOnLayerAsync(string layer, CancellationToken ct);

    /// <summary>Level-1 commitment clocks started in [<paramref name="from"/>, <paramref name="to"/>), optionally of one branch and process, oldest first.</summary>
    ValueTask<IReadOnlyList<SlaClockRecord>> FindCommitmentsAsync(string? branch, string? processId, DateTimeOffset from, DateTimeOffset to, int max, CancellationToken ct);

    /// <summary>The clocks of the given instances, oldest first; only those still running or paused when <paramref name="openOnly"/>.</summary>
    ValueTask<IReadOnlyList<SlaClockRecord>> GetClocksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, bool openOnly, CancellationToken ct);

    /// <summary>Saved calendar layer versions, as JSON.</summary>
    ValueTask<IReadOnlyList<string>> GetCalendarLayersAsync(CancellationToken ct);

    // ---------------------------------------------------------------- branches

    /// <summary>Every saved branch, as JSON, with its revision.</summary>
    ValueTask<IReadOnlyList<(string Json, long Revision)>> GetBranchesAsync(CancellationToken ct);

    /// <summary>One saved branch, as JSON, with its revision.</summary>
    ValueTask<(string Json, long Revision)?> GetBranchAsync(string id, CancellationToken ct);
}

/// <summary>
/// Where a task stands in the task orders: every order is a prefix-free choice of these keys, ending on the id.
/// <see cref="SlaSort"/> is the breach moment's ticks (the largest value when no clock runs);
/// <see cref="InvPriority"/> is 100 − priority, so that every key sorts ascending.
/// </summary>
internal readonly record struct TaskSortKey(long SlaSort, int InvPriority, long CreatedTicks, Guid Id)
{
    public static TaskSortKey Of(UserTaskRecord task) =>
        new(task.SlaDueAt?.UtcTicks ?? long.MaxValue, 100 - task.Priority, task.CreatedAt.UtcTicks, task.Id);

    /// <summary>The keys an order compares, in order.</summary>
    public static string[] Columns(TaskSort sort) => sort switch
    {
        TaskSort.Priority => ["inv_priority", "created_at"],
        TaskSort.Age => ["created_at"],
        _ => ["sla_sort", "inv_priority", "created_at"],
    };

    public object Value(string column) => column switch
    {
        "sla_sort" => SlaSort,
        "inv_priority" => InvPriority,
        _ => CreatedTicks,
    };

    public string ToCursor(TaskSort sort) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(int)sort}|{SlaSort}|{InvPriority}|{CreatedTicks}|{Id}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <exception cref="WorkflowInputException">The cursor is not one this engine made, or was made for another order.</exception>
    public static TaskSortKey FromCursor(string cursor, TaskSort sort)
    {
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - (base64.Length % 4)) % 4);
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('|');
            var culture = System.Globalization.CultureInfo.InvariantCulture;
            if (parts.Length == 5 && int.Parse(parts[0], culture) == (int)sort)
            {
                return new TaskSortKey(long.Parse(parts[1], culture), int.Parse(parts[2], culture), long.Parse(parts[3], culture), Guid.Parse(parts[4]));
            }
        }
        catch (FormatException)
        {
        }

        throw new WorkflowInputException($"the cursor '{cursor}' is not a cursor of a task list sorted by {sort}; start again without a cursor");
    }
}
