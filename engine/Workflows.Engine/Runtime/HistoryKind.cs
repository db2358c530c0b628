namespace Workflows.Engine.Runtime;

/// <summary>
/// The kinds of history rows, as stored and as the API shows them. The strings are part of the stored
/// format and the public history: never rename one.
/// </summary>
internal static class HistoryKind
{
    public const string InstanceStarted = "instance-started";
    public const string InstanceCompleted = "instance-completed";
    public const string InstanceCalled = "instance-called";

    /// <summary>An operator modified the instance (variables, activations, terminations); the detail starts with the reason.</summary>
    public const string InstanceModified = "instance-modified";

    /// <summary>A batch operation did its operation on the instance; the detail names the batch, the operation and the reason.</summary>
    public const string BatchOperation = "batch-operation";

    /// <summary>The instance moved to another version of its process (a migration).</summary>
    public const string InstanceMigrated = "instance-migrated";
    public const string ElementEntered = "element-entered";
    public const string ElementCompleted = "element-completed";
    public const string ElementTerminated = "element-terminated";
    public const string ElementInterrupted = "element-interrupted";
    public const string BoundaryTriggered = "boundary-triggered";
    public const string IncidentRaised = "incident-raised";
    public const string IncidentResolved = "incident-resolved";
    public const string TaskCreated = "task-created";
    public const string TaskCompleted = "task-completed";
    public const string TaskClaimed = "task-claimed";
    public const string TaskUnclaimed = "task-unclaimed";
    public const string TaskDelegated = "task-delegated";
    public const string TaskMoved = "task-moved";
    public const string TaskComment = "task-comment";
    public const string JobCreated = "job-created";
    public const string JobCompleted = "job-completed";
    public const string JobFailed = "job-failed";
    public const string MessageSent = "message-sent";
    public const string MessageCorrelated = "message-correlated";
    public const string SignalThrown = "signal-thrown";
    public const string SignalReceived = "signal-received";
    public const string ConditionMet = "condition-met";
    public const string ErrorThrown = "error-thrown";
    public const string EscalationThrown = "escalation-thrown";
    public const string CompensationThrown = "compensation-thrown";
    public const string ActivityCompensated = "activity-compensated";
    public const string TransactionCancelled = "transaction-cancelled";

    /// <summary>A business rule task evaluated a decision; the detail is JSON: decision id, version, inputs, matched rules, outputs.</summary>
    public const string DecisionEvaluated = "decision-evaluated";

    /// <summary>The row of an instance ended from outside: <c>instance-terminated</c>, <c>instance-cancelled</c> and so on.</summary>
    public static string InstanceEnded(ProcessInstanceStatus status) => "instance-" + status.ToString().ToLowerInvariant();
}
