namespace Workflows.Engine.Storage;

/// <summary>
/// Messages in and out: the subscriptions a published message or signal is matched against, buffered
/// messages with their expiry, the inbox that de-duplicates deliveries and the outbox the relay publishes.
/// </summary>
internal interface IMessageStore
{
    /// <summary>Open subscriptions of instances for a message name and correlation key, oldest first.</summary>
    ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageSubscriptionsAsync(string name, string correlationKey, CancellationToken ct);

    /// <summary>Message start events of the latest deployed versions for a message name.</summary>
    ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageStartsAsync(string name, CancellationToken ct);

    ValueTask<IReadOnlyList<SignalSubscriptionRecord>> FindSignalSubscriptionsAsync(string name, CancellationToken ct);

    /// <summary>
    /// Unexpired buffered messages for a name and key that no instance of <paramref name="processId"/> took yet, oldest first:
    /// a message correlates at most once per process (Camunda 8).
    /// </summary>
    ValueTask<IReadOnlyList<BufferedMessageRecord>> FindBufferedMessagesAsync(string name, string correlationKey, string processId, DateTimeOffset now, CancellationToken ct);

    /// <summary>The active instance a message with <paramref name="correlationKey"/> started for <paramref name="processId"/>, if any.</summary>
    ValueTask<MessageStartLockRecord?> GetMessageStartLockAsync(string processId, string correlationKey, CancellationToken ct);

    /// <summary>
    /// Marks buffered messages whose time-to-live ran out by <paramref name="now"/> as expired, at most
    /// <paramref name="max"/>, and returns those no instance ever took: they are kept, never dropped.
    /// </summary>
    ValueTask<(int Expired, IReadOnlyList<BufferedMessageRecord> Unclaimed)> ExpireBufferedMessagesAsync(DateTimeOffset now, int max, CancellationToken ct);

    /// <summary>Buffered messages that expired with no instance taking them, newest first.</summary>
    ValueTask<IReadOnlyList<BufferedMessageRecord>> GetExpiredMessagesAsync(int max, CancellationToken ct);

    /// <summary>Whether a command already consumed the message of that id.</summary>
    ValueTask<bool> IsInInboxAsync(string messageId, CancellationToken ct);

    /// <summary>Outbox rows (of one instance when given), in outbox order.</summary>
    ValueTask<IReadOnlyList<OutboxRecord>> GetOutboxAsync(Guid? instanceId, CancellationToken ct);

    /// <summary>The oldest outbox rows not yet published, in outbox order, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<OutboxRecord>> GetUnpublishedOutboxAsync(int max, CancellationToken ct);

    /// <summary>Records that the rows of those sequence numbers reached the broker.</summary>
    ValueTask MarkOutboxPublishedAsync(IReadOnlyCollection<long> seqs, DateTimeOffset at, CancellationToken ct);

    /// <summary>
    /// Parks a row the engines kept giving up: kept with when and why, no longer read as unpublished (its published time is
    /// set too). A row published meanwhile (another node's relay took the lease and delivered it) is left as it is.
    /// </summary>
    ValueTask ParkOutboxAsync(long seq, string reason, DateTimeOffset at, CancellationToken ct);

    /// <summary>
    /// Parked rows, the longest parked first, at most <paramref name="max"/>: of one branch (their handoff's) when
    /// <paramref name="branch"/> is given, and after <paramref name="after"/> (the last row of the page before) when given.
    /// </summary>
    ValueTask<IReadOnlyList<OutboxRecord>> GetParkedOutboxAsync(string? branch, ParkedCursor? after, int max, CancellationToken ct);

    /// <summary>The parked row of that message id, or null when none is parked.</summary>
    ValueTask<OutboxRecord?> GetParkedOutboxAsync(Guid messageId, CancellationToken ct);

    /// <summary>
    /// Deletes published rows (never a parked or an unpublished one) published before <paramref name="publishedBefore"/>,
    /// <paramref name="batchSize"/> a statement and at most <paramref name="maxBatches"/> statements, oldest first; returns how many.
    /// </summary>
    Task<int> DeletePublishedOutboxAsync(DateTimeOffset publishedBefore, int batchSize, int maxBatches, CancellationToken ct);

    /// <summary>Makes the parked row of that message id unpublished again, for the relay to publish; false when no parked row has that id.</summary>
    ValueTask<bool> UnparkOutboxAsync(Guid messageId, CancellationToken ct);
}

/// <summary>Where a page of parked rows ended: the last row's park time and place in the outbox.</summary>
internal readonly record struct ParkedCursor(DateTimeOffset ParkedAt, long Seq);
