namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// A clock on an element instance: a step's SLA or a commitment. Its budget is measured in elapsed or
/// working time; <see cref="ConsumedTicks"/> is what ran before <see cref="RunningSince"/>. Its rows stay
/// after it ends, for the service reports. The service-level store part (<see cref="Storage.IServiceLevelStore"/>)
/// reads it and the module's change-set part (<see cref="ServiceLevelChanges"/>) writes it.
/// </summary>
internal sealed record SlaClockRecord(
    Guid Id,
    Guid InstanceId,
    long ElementKey,
    string ElementId,
    ClockKind Kind,
    int Level,
    string? Label,
    string ProcessId,
    string? BusinessKey,
    string? Branch,
    string? CustomerId,
    string? Calendar,
    string Target,
    bool WorkingTime,
    long BudgetTicks,
    DateTimeOffset StartedAt)
{
    public SlaState State { get; init; }

    public long ConsumedTicks { get; init; }

    public DateTimeOffset? RunningSince { get; init; }

    /// <summary>When the budget runs out, computed when the clock (re)starts; null while paused.</summary>
    public DateTimeOffset? TargetAt { get; init; }

    /// <summary>The next warning, breach or repeated escalation; the worker fires the clock then.</summary>
    public DateTimeOffset? NextDueAt { get; init; }

    /// <summary>How many of the definition's thresholds have passed.</summary>
    public int Fired { get; init; }

    public DateTimeOffset? NextRepeatAt { get; init; }

    public string? PauseReason { get; init; }

    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>The element instance whose wait paused the clock; 0 for a pause by a person.</summary>
    public long? PausedBy { get; init; }

    public long PausedTicks { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public bool IsOpen => EndedAt is null;
}
