using Workflows.Engine.Search;

namespace Workflows.Engine.Storage;

/// <summary>What an operator inspects: every wait point of one instance, with the leases held on its jobs, and its indexed values.</summary>
internal interface IInspectionStore
{
    /// <summary>The instance's timers, message and signal subscriptions and jobs, each kind oldest (or earliest due) first.</summary>
    ValueTask<InstanceWaits> GetWaitsAsync(Guid instanceId, CancellationToken ct);

    /// <summary>The instance's rows in the variable index, by name.</summary>
    ValueTask<IReadOnlyList<VariableIndexRecord>> GetIndexedVariablesAsync(Guid instanceId, CancellationToken ct);
}

/// <summary>An instance's wait points as stored.</summary>
internal sealed record InstanceWaits(
    IReadOnlyList<LeasedTimer> Timers,
    IReadOnlyList<MessageSubscriptionRecord> Messages,
    IReadOnlyList<SignalSubscriptionRecord> Signals,
    IReadOnlyList<LeasedJob> Jobs);

/// <summary>A timer and the lease on it, if any: a node firing it, or <c>unreadable-state</c> parking it with no end.</summary>
internal sealed record LeasedTimer(TimerRecord Timer, string? LeaseOwner, DateTimeOffset? LeaseUntil);

/// <summary>A job and the lease a node holds on it, if any (the lease may have run out: a node died).</summary>
internal sealed record LeasedJob(JobRecord Job, string? LeaseOwner, DateTimeOffset? LeaseUntil);

/// <summary>One searchable variable of one instance in the index (wf_variable_index).</summary>
internal readonly record struct VariableIndexRecord(Guid InstanceId, string Name, IndexedValue Value);

/// <summary>A filter on an indexed variable, its value already of the variable's declared type.</summary>
internal sealed record VariableCondition(string Name, VariableComparison Comparison, IndexedValue Value)
{
    /// <summary>Whether an indexed value passes (values of another type never do).</summary>
    public bool Matches(IndexedValue value)
    {
        int? order = (Value, value) switch
        {
            ({ Text: { } a }, { Text: { } b }) => string.CompareOrdinal(b, a),
            ({ Number: { } a }, { Number: { } b }) => b.CompareTo(a),
            ({ Ticks: { } a }, { Ticks: { } b }) => b.CompareTo(a),
            _ => null,
        };
        return order is { } o && Comparison switch
        {
            VariableComparison.Equal => o == 0,
            VariableComparison.GreaterThan => o > 0,
            VariableComparison.GreaterOrEqual => o >= 0,
            VariableComparison.LessThan => o < 0,
            _ => o <= 0,
        };
    }
}
