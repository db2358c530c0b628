namespace Workflows.Engine;

/// <summary>How a <see cref="VariableFilter"/> compares the variable with its value.</summary>
public enum VariableComparison
{
    /// <summary>Equal.</summary>
    Equal,

    /// <summary>Greater than the value.</summary>
    GreaterThan,

    /// <summary>Greater than or equal to the value.</summary>
    GreaterOrEqual,

    /// <summary>Less than the value.</summary>
    LessThan,

    /// <summary>Less than or equal to the value.</summary>
    LessOrEqual,
}

/// <summary>A filter on a variable the journey declares searchable (<c>wf:searchable</c>).</summary>
/// <param name="Name">The variable.</param>
/// <param name="Comparison">How it is compared.</param>
/// <param name="Value">
/// A value of the declared type (text; a number; a <see cref="DateOnly"/> or <see cref="DateTimeOffset"/>), or text that
/// reads as it (<c>100</c>, <c>2026-12-03</c>, <c>2026-12-03T09:00:00Z</c>): a filter from a URL is text.
/// </param>
/// <remarks>Text compares by ordinal order, numbers as doubles, dates as UTC instants (a date is its midnight UTC).</remarks>
public sealed record VariableFilter(string Name, VariableComparison Comparison, object? Value);

/// <summary>A page of instances, and the cursor of the next page (null on the last).</summary>
public sealed record InstancePage(IReadOnlyList<InstanceSummary> Instances, string? NextCursor);

/// <summary>A variable a journey declares searchable, and its type (<c>string</c>, <c>number</c> or <c>date</c>).</summary>
public sealed record SearchableVariableInfo(string Name, string Type);

/// <summary>Everything about one instance an operator needs: where it waits and for what, its scopes' variables, incidents and history.</summary>
/// <param name="Instance">Who and where.</param>
/// <param name="Scope">The element instances as a tree under the process scope, each with its local variables; the process scope's are the process variables.</param>
/// <param name="ActiveTokens">How many live element instances each element has (the process scope left out).</param>
/// <param name="WaitPoints">Every wait: timers, message and signal subscriptions, jobs, user tasks, called instances and SLA clocks.</param>
/// <param name="Incidents">Open incidents, oldest first.</param>
/// <param name="History">The history, oldest first.</param>
public sealed record InstanceInspection(
    InstanceSummary Instance,
    ElementInstanceInfo Scope,
    IReadOnlyDictionary<string, int> ActiveTokens,
    IReadOnlyList<WaitPointInfo> WaitPoints,
    IReadOnlyList<IncidentInfo> Incidents,
    IReadOnlyList<HistoryEntry> History)
{
    /// <summary>
    /// Why the instance's stored state cannot be read; null when it can. An unreadable instance is inspected by its rows:
    /// who and where, its wait points (timers, subscriptions, jobs, tasks, clocks), incidents and history, with a
    /// <see cref="Scope"/> of no element (state <c>unreadable</c>) and no tokens. It can be cancelled, or repaired and its incident retried.
    /// </summary>
    public string? StateProblem { get; init; }

    /// <summary>
    /// Waits of the state's elements whose rows do not exist (a task, job, timer or subscription no row is), each naming the
    /// element and the row: such an element can never move. Empty when every wait has its row. A row no element waits for is
    /// marked on its wait point, with its problem.
    /// </summary>
    public IReadOnlyList<string> MissingRows { get; init; } = [];
}

/// <summary>An element instance (a token, or a scope such as a sub-process) with its local variables and children.</summary>
/// <param name="Key">Its key within the instance.</param>
/// <param name="ElementId">The element.</param>
/// <param name="State"><c>active</c>, <c>waiting</c> or <c>incident</c> (the process scope of an ended instance: its status).</param>
/// <param name="Variables">Its local variables (a scope's own, input mappings, a multi-instance item).</param>
/// <param name="Children">The element instances inside it.</param>
public sealed record ElementInstanceInfo(long Key, string ElementId, string State, IReadOnlyDictionary<string, object?> Variables, IReadOnlyList<ElementInstanceInfo> Children);

/// <summary>Something an instance waits for.</summary>
/// <param name="Kind"><c>timer</c>, <c>message</c>, <c>signal</c>, <c>job</c>, <c>user-task</c>, <c>call</c> or <c>sla-clock</c>.</param>
/// <param name="ElementId">The element that waits.</param>
/// <param name="ElementKey">Its element instance (0 for a task the engine opened outside the model).</param>
/// <param name="Id">The timer, subscription, job, task, called instance or clock.</param>
/// <param name="DueAt">When it comes due: a timer fires, a job may run (after a back-off), a task or clock is due.</param>
public sealed record WaitPointInfo(string Kind, string ElementId, long ElementKey, Guid Id, DateTimeOffset? DueAt)
{
    /// <summary>A message subscription's or signal's name, a job's type, a task's name, a clock's label.</summary>
    public string? Name { get; init; }

    /// <summary>A message subscription's correlation key.</summary>
    public string? CorrelationKey { get; init; }

    /// <summary>A job's retries left.</summary>
    public int? Retries { get; init; }

    /// <summary>The node or worker holding a job's lease, and until when (the lease may have run out).</summary>
    public string? LeaseOwner { get; init; }

    /// <inheritdoc cref="LeaseOwner"/>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>A user task's assignee; a job's worker kind (<c>external</c> when a worker outside the engine takes it).</summary>
    public string? Assignee { get; init; }

    /// <summary>A user task's queues (candidate groups).</summary>
    public IReadOnlyList<string>? Queues { get; init; }

    /// <summary>A clock's or task's SLA state.</summary>
    public SlaState? SlaState { get; init; }

    /// <summary>A timer cycle's repetitions left (-1: unbounded).</summary>
    public int? Remaining { get; init; }

    /// <summary>
    /// What is wrong with this wait point, null when nothing is: its stored row cannot be read (a task's candidate lists or
    /// form), or the row and the instance's state disagree (a row no element of the state waits for, or an element waiting
    /// for a row that does not exist). Such a wait can never be met: repair the row or the state, or cancel the instance.
    /// </summary>
    public string? Problem { get; init; }
}
