namespace Workflows.Engine.Storage;

/// <summary>
/// Batch operations: a batch and one item per instance it selected, resolved when it is created. The worker leases
/// pending items of running batches in chunks; an item's result is written by the command that does its operation
/// (<see cref="BatchChanges"/> in the change set), guarded by the item still being pending, so no item is done twice.
/// </summary>
internal interface IBatchStore
{
    /// <summary>
    /// Ids of the instances the selection picks whose indexed variables pass every one of <paramref name="variables"/>
    /// (the selection's variable filters resolved to their declared types), ordered by id, after <paramref name="after"/>,
    /// at most <paramref name="max"/>.
    /// </summary>
    ValueTask<IReadOnlyList<Guid>> SelectBatchInstancesAsync(BatchSelection selection, IReadOnlyList<VariableCondition> variables, Guid? after, int max, CancellationToken ct);

    /// <summary>Writes a batch and its items (numbered from 1 in the order given), in one transaction.</summary>
    ValueTask InsertBatchAsync(BatchRecord batch, IReadOnlyList<Guid> instanceIds, CancellationToken ct);

    ValueTask<BatchRecord?> GetBatchAsync(Guid id, CancellationToken ct);

    /// <summary>Batches, newest first; of one branch only when <paramref name="branch"/> is given.</summary>
    ValueTask<IReadOnlyList<BatchRecord>> ListBatchesAsync(string? branch, int max, CancellationToken ct);

    /// <summary>How many items of the batch are in each state.</summary>
    ValueTask<BatchCounts> CountBatchItemsAsync(Guid batchId, CancellationToken ct);

    /// <summary>
    /// Moves the batch from <paramref name="from"/> to <paramref name="to"/>, writing <paramref name="step"/> (who moved
    /// it) in the same transaction when given; false, and nothing written, when it was not in <paramref name="from"/>.
    /// </summary>
    ValueTask<bool> SetBatchStateAsync(Guid id, BatchState from, BatchState to, DateTimeOffset? completedAt, BatchStepRecord? step, CancellationToken ct);

    /// <summary>The batch's audited steps after its creation (pauses, resumes), oldest first.</summary>
    ValueTask<IReadOnlyList<BatchStepRecord>> GetBatchStepsAsync(Guid batchId, CancellationToken ct);

    /// <summary>Whether any batch is running: a read, so that an idle worker's round takes no write lock for batches.</summary>
    ValueTask<bool> AnyRunningBatchAsync(CancellationToken ct);

    /// <summary>Leases up to <paramref name="max"/> pending items of running batches that no lease live at <paramref name="now"/> (lease time, the host's) holds, in batch order.</summary>
    ValueTask<IReadOnlyList<BatchItemRecord>> ClaimBatchItemsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct);

    ValueTask<BatchItemRecord?> GetBatchItemAsync(Guid id, CancellationToken ct);

    /// <summary>The batch's items after <paramref name="afterSeq"/>, in order, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<BatchItemRecord>> GetBatchItemsAsync(Guid batchId, long afterSeq, int max, CancellationToken ct);
}

/// <summary>A batch as stored; <paramref name="OperationJson"/> holds a modify batch's instructions.</summary>
internal sealed record BatchRecord(Guid Id, BatchKind Kind, BatchState State, string Reason, string? Actor, string? Branch, int Total, string? OperationJson,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt);

/// <summary>An operator's command on a batch after its creation: <paramref name="Action"/> is <c>paused</c> or <c>resumed</c>.</summary>
internal sealed record BatchStepRecord(Guid Id, Guid BatchId, DateTimeOffset At, string Action, string? Actor);

/// <summary>One instance of a batch and its result.</summary>
internal sealed record BatchItemRecord(Guid Id, Guid BatchId, long Seq, Guid InstanceId, BatchItemStatus Status, string? Detail, DateTimeOffset? At);

/// <summary>How many items of a batch are in each state.</summary>
internal sealed record BatchCounts(int Pending, int Done, int Skipped, int Failed);

/// <summary>An item's result, written with the effects of its operation.</summary>
internal sealed record BatchItemResult(Guid ItemId, BatchItemStatus Status, string? Detail, DateTimeOffset At);

/// <summary>The change set's part for batch items: each result commits only while its item is still pending.</summary>
internal sealed class BatchChanges
{
    public List<BatchItemResult> Results { get; } = [];
}
