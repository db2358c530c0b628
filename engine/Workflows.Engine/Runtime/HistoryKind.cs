namespace Workflows.Engine.Runtime;

/// <summary>
/// The kinds of history rows, as stored and as the API shows them. The strings are part of the stored
/// format and the public history: never rename one.
/// </summary>
/// <remarks>A type rather than string constants so that a row can only be written with a declared kind: a typo, or a
/// kind the history page and the docs do not know, does not compile. Kinds are declared here, and a module's own kinds
/// in its own list (<see cref="ServiceLevels.ServiceLevelHistory"/>).</remarks>
internal readonly record struct HistoryKind
{
    internal HistoryKind(string value) => Value = value;

    /// <summary>The kind as stored and shown.</summary>
    public string Value { get; }

    public override string ToString() => Value;

    public static readonly HistoryKind InstanceStarted = new("instance-started");
    public static readonly HistoryKind InstanceCompleted = new("instance-completed");
    public static readonly HistoryKind InstanceCalled = new("instance-called");

    /// <summary>An operator modified the instance (variables, activations, terminations); the detail starts with the reason.</summary>
    public static readonly HistoryKind InstanceModified = new("instance-modified");

    /// <summary>A batch operation did its operation on the instance; the detail names the batch, the operation and the reason.</summary>
    public static readonly HistoryKind BatchOperation = new("batch-operation");

    /// <summary>The instance moved to another version of its process (a migration).</summary>
    public static readonly HistoryKind InstanceMigrated = new("instance-migrated");
    public static readonly HistoryKind ElementEntered = new("element-entered");
    public static readonly HistoryKind ElementCompleted = new("element-completed");
    public static readonly HistoryKind ElementTerminated = new("element-terminated");
    public static readonly HistoryKind ElementInterrupted = new("element-interrupted");
    public static readonly HistoryKind BoundaryTriggered = new("boundary-triggered");
    public static readonly HistoryKind IncidentRaised = new("incident-raised");
    public static readonly HistoryKind IncidentResolved = new("incident-resolved");
    public static readonly HistoryKind TaskCreated = new("task-created");
    public static readonly HistoryKind TaskCompleted = new("task-completed");
    public static readonly HistoryKind TaskClaimed = new("task-claimed");
    public static readonly HistoryKind TaskUnclaimed = new("task-unclaimed");
    public static readonly HistoryKind TaskDelegated = new("task-delegated");
    public static readonly HistoryKind TaskMoved = new("task-moved");
    public static readonly HistoryKind TaskComment = new("task-comment");
    /// <summary>A timer fired: its catch event, boundary event or timer start; the detail is the instant it was due.</summary>
    public static readonly HistoryKind TimerFired = new("timer-fired");

    /// <summary>Variables were set on the instance from outside (the API); the detail names them.</summary>
    public static readonly HistoryKind VariablesSet = new("variables-set");
    public static readonly HistoryKind JobCreated = new("job-created");
    public static readonly HistoryKind JobCompleted = new("job-completed");
    public static readonly HistoryKind JobFailed = new("job-failed");
    public static readonly HistoryKind MessageSent = new("message-sent");
    public static readonly HistoryKind MessageCorrelated = new("message-correlated");
    public static readonly HistoryKind SignalThrown = new("signal-thrown");
    public static readonly HistoryKind SignalReceived = new("signal-received");
    public static readonly HistoryKind ConditionMet = new("condition-met");
    public static readonly HistoryKind ErrorThrown = new("error-thrown");
    public static readonly HistoryKind EscalationThrown = new("escalation-thrown");
    public static readonly HistoryKind CompensationThrown = new("compensation-thrown");
    public static readonly HistoryKind ActivityCompensated = new("activity-compensated");
    public static readonly HistoryKind TransactionCancelled = new("transaction-cancelled");

    /// <summary>A business rule task evaluated a decision; the detail is JSON: decision id, version, inputs, matched rules, outputs.</summary>
    public static readonly HistoryKind DecisionEvaluated = new("decision-evaluated");

    /// <summary>The row of an instance ended from outside: <c>instance-terminated</c>, <c>instance-cancelled</c> and so on.</summary>
    public static HistoryKind InstanceEnded(ProcessInstanceStatus status) => new("instance-" + status.ToString().ToLowerInvariant());
}
