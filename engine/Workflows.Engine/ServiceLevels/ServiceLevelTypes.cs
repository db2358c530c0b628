using Workflows.Engine.Storage;

// The service-level module's public types, and its members of the core's public records (partial declarations).
// The namespace is the types', not the folder's: users' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine;

/// <summary>Where a clock stands.</summary>
public enum SlaState
{
    /// <summary>Counting, no threshold passed yet.</summary>
    Running,

    /// <summary>Stopped with a reason (waiting for the customer); the time is recorded.</summary>
    Paused,

    /// <summary>A warning threshold has passed.</summary>
    Warning,

    /// <summary>The target has passed.</summary>
    Breached,

    /// <summary>Ended within its target.</summary>
    Met,

    /// <summary>Ended because its step was cancelled or interrupted.</summary>
    Cancelled,
}

/// <summary>A clock on a step, sub-process or process: an SLA or a commitment, with its time left computed when read.</summary>
/// <param name="Id">The clock.</param>
/// <param name="InstanceId">Its instance.</param>
/// <param name="ElementId">The step, sub-process or process it measures.</param>
/// <param name="Kind"><c>sla</c> or <c>commitment</c>.</param>
/// <param name="Level">The commitment's level (1 the promise to the customer, 2–3 department budgets); 0 for an SLA.</param>
/// <param name="Label">The commitment's name or department, or the step's name.</param>
/// <param name="State">Where it stands now (a running clock past its target reads as breached).</param>
/// <param name="Target">The target as the model states it (<c>PT48H</c>, <c>16 working hours</c>, <c>2 business days</c>).</param>
/// <param name="Calendar">The calendar chain it runs on; null for the default calendar.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="TargetAt">When it breaches, while it runs (null while paused).</param>
/// <param name="Remaining">Budget left now, in the clock's measure (working time on its calendar, or elapsed time); negative once breached.</param>
/// <param name="Paused">How long it has been paused in all.</param>
/// <param name="PauseReason">Why it is paused now.</param>
/// <param name="EndedAt">When its step ended.</param>
public sealed record SlaClockInfo(
    Guid Id,
    Guid InstanceId,
    string ElementId,
    string Kind,
    int Level,
    string? Label,
    SlaState State,
    string Target,
    string? Calendar,
    DateTimeOffset StartedAt,
    DateTimeOffset? TargetAt,
    TimeSpan Remaining,
    TimeSpan Paused,
    string? PauseReason,
    DateTimeOffset? EndedAt)
{
    /// <summary>Why its time left could not be measured now (its calendar cannot be resolved over that time); null when it was.</summary>
    public string? Problem { get; init; }
}

/// <summary>One instance in the service report: its level-1 commitment beside each step's clock.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="BusinessKey">Its business key.</param>
/// <param name="Branch">Its branch.</param>
/// <param name="Journey">Its process id.</param>
/// <param name="Commitment">The promise to the customer, end to end.</param>
/// <param name="Steps">Every other clock of the instance, oldest first.</param>
/// <param name="Watermelon">The level-1 commitment is breached or at risk while every finished step met its own budget: green outside, red inside.</param>
public sealed record ServiceReportRow(
    Guid InstanceId,
    string? BusinessKey,
    string? Branch,
    string Journey,
    SlaClockInfo Commitment,
    IReadOnlyList<SlaClockInfo> Steps,
    bool Watermelon);

// What a handoff carries of the sending instance's service levels (filled through IEngineModule.OnHandoff).
public sealed partial record Handoff
{
    /// <summary>When the sending instance's running level-1 commitment breaches, if one runs.</summary>
    public DateTimeOffset? CommitmentDue { get; init; }
}

// What a task shows of its nearest clock: the task queue's mark (Storage.TaskMark), which the module sets.
public sealed partial record UserTaskInfo
{
    /// <summary>The state of the nearest clock over the task (its own SLA, else its sub-process's or process's); null when none.</summary>
    public SlaState? SlaState { get; init; }

    /// <summary>When that clock breaches, while it runs.</summary>
    public DateTimeOffset? SlaDueAt { get; init; }

    // The task row's mark as the task shows it: the mark's state is a SlaState.
    internal TaskMark Mark
    {
        get => new((int?)SlaState, SlaDueAt);
        init => (SlaState, SlaDueAt) = ((SlaState?)value.State, value.DueAt);
    }
}

// Tasks filtered by their clock's state: the task queue's mark state.
public sealed partial record TaskQuery
{
    /// <summary>Only tasks whose clock is in this state.</summary>
    public SlaState? SlaState { get; init; }

    // The filter on the task rows' mark (Storage.TaskMark.State).
    internal int? MarkState => (int?)SlaState;
}
