using Workflows.Engine.Feel;

namespace Workflows.Engine.Runtime;

/// <summary>The state of a process instance.</summary>
public enum ProcessInstanceStatus
{
    /// <summary>Tokens are running or waiting.</summary>
    Active,

    /// <summary>Every token reached an end.</summary>
    Completed,

    /// <summary>A terminate end event ended the process.</summary>
    Terminated,

    /// <summary>Someone cancelled the instance.</summary>
    Cancelled,
}

/// <summary>
/// The durable state of one instance: its live element instances and their variables. It is all a
/// command needs to continue the instance; wait points (tasks, jobs, timers, subscriptions) are rows
/// of their own, referenced from here by id so that closing them never needs a scan.
/// </summary>
internal sealed class InstanceState
{
    public required Guid Id { get; init; }

    public required string ProcessId { get; init; }

    /// <summary>The version the instance runs on; a migration moves it to another.</summary>
    public required Guid DefinitionId { get; set; }

    public required int Version { get; set; }

    public string? BusinessKey { get; init; }

    public ProcessInstanceStatus Status { get; set; }

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The calling instance and call-activity element instance, for called processes.</summary>
    public Guid? ParentInstanceId { get; init; }

    public long? ParentElementKey { get; set; }

    public long NextKey { get; set; } = 1;

    /// <summary>Optimistic concurrency: the version read; the store refuses a commit made on a stale one.</summary>
    public long RowVersion { get; set; }

    /// <summary>Live element instances by key, the process scope (key 1) included while the instance runs.</summary>
    public Dictionary<long, ElementInstance> Elements { get; } = [];

    /// <summary>Completed activities that can still be compensated, in the order they completed; null when none.</summary>
    public List<CompensationRecord>? Compensations { get; set; }

    // The process variables: a FeelContext, or the StoredVariables they are read from when a command first asks for them.
    private object? _variables;

    /// <summary>The process variables, kept after the instance ends so that its outcome can be read.</summary>
    public FeelContext Variables
    {
        get => _variables as FeelContext ?? ReadVariables();
        set => _variables = value;
    }

    /// <summary>The stored variables not read yet (<see cref="StoredVariables"/>), or null once read or set.</summary>
    internal StoredVariables? UnreadVariables => _variables as StoredVariables;

    /// <summary>Keeps the variables as stored, read on the first get of <see cref="Variables"/>.</summary>
    internal void KeepUnread(StoredVariables stored) => _variables = stored;

    private FeelContext ReadVariables()
    {
        var read = (_variables as StoredVariables)?.Read() ?? new FeelContext();
        _variables = read;
        return read;
    }

    public const long RootKey = 1;
}

internal enum IncidentPhase
{
    None,
    Activate,
    Complete,

    /// <summary>A conditional event the element owns failed to evaluate its condition; a retry evaluates it again.</summary>
    Condition,

    /// <summary>
    /// An inner multi-instance element did its work but its body's completion condition failed to evaluate; a retry
    /// evaluates the condition again in that inner instance (its completion is not done again).
    /// </summary>
    CompletionCondition,
}

/// <summary>One activation of a flow node: a token at a task, a running sub-process, a waiting event.</summary>
internal sealed class ElementInstance
{
    // What few element instances hold (a call, a loop or multi-instance body's progress, an incident, compensation, a
    // cancelled transaction, complex joins) lives apart, made on the first write of something other than the default: element
    // instances are made on every step and read back on every command, and the usual one stays small.
    private ElementInstanceRareFields? _rare;

    public required long Key { get; init; }

    /// <summary>The element it is an instance of; a migration may map it to another id of the target version.</summary>
    public required string ElementId { get; set; }

    /// <summary>The element instance of the enclosing scope; 0 for the process scope.</summary>
    public long ParentKey { get; init; }

    // The local variables: a FeelContext, the StoredVariables they are read from when first asked for, or null.
    private object? _variables;

    /// <summary>Local variables: a scope's own, input mappings, a multi-instance element's item.</summary>
    public FeelContext? Variables
    {
        get => _variables as FeelContext ?? (_variables is StoredVariables stored ? (FeelContext)(_variables = stored.Read()) : null);
        set => _variables = value;
    }

    /// <summary>Keeps the variables as stored, read on the first get of <see cref="Variables"/>.</summary>
    internal void KeepUnread(StoredVariables stored) => _variables = stored;

    public Guid? TaskId { get; set; }

    public Guid? JobId { get; set; }

    public Guid? CalledInstanceId
    {
        get => _rare?.CalledInstanceId;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.CalledInstanceId = value;
            }
        }
    }

    /// <summary>Timers and message/signal subscriptions owned by this element instance (own, boundary, event sub-process, event gateway).</summary>
    public List<WaitRef>? Waits { get; set; }

    public Guid? IncidentId
    {
        get => _rare?.IncidentId;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.IncidentId = value;
            }
        }
    }

    public IncidentPhase IncidentPhase
    {
        get => _rare?.IncidentPhase ?? IncidentPhase.None;
        set
        {
            if (value != IncidentPhase.None || _rare is not null)
            {
                Rare.IncidentPhase = value;
            }
        }
    }

    /// <summary>Arrivals at joining gateways of this scope: gateway id → ids of the flows that arrived (a multiset).</summary>
    public Dictionary<string, List<string>>? JoinArrivals { get; set; }

    /// <summary>Complex joins of this scope waiting for reset: gateway id → ids of the incoming flows whose token it still consumes.</summary>
    public Dictionary<string, List<string>>? ComplexResets
    {
        get => _rare?.ComplexResets;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.ComplexResets = value;
            }
        }
    }

    /// <summary>The body of a loop: a multi-instance activity's, or a standard loop's (whose inner instances are its passes).</summary>
    public bool IsMultiInstanceBody { get; set; }

    public bool IsMultiInstanceInner { get; set; }

    /// <summary>Multi-instance body: the items to iterate, how many there are, how many ran and finished.</summary>
    public List<object?>? Collection
    {
        get => _rare?.Collection;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.Collection = value;
            }
        }
    }

    public int Total
    {
        get => _rare?.Total ?? 0;
        set
        {
            if (value != 0 || _rare is not null)
            {
                Rare.Total = value;
            }
        }
    }

    public int Started
    {
        get => _rare?.Started ?? 0;
        set
        {
            if (value != 0 || _rare is not null)
            {
                Rare.Started = value;
            }
        }
    }

    public int Completed
    {
        get => _rare?.Completed ?? 0;
        set
        {
            if (value != 0 || _rare is not null)
            {
                Rare.Completed = value;
            }
        }
    }

    /// <summary>Multi-instance inner: 1-based position in the collection.</summary>
    public int LoopCounter
    {
        get => _rare?.LoopCounter ?? 0;
        set
        {
            if (value != 0 || _rare is not null)
            {
                Rare.LoopCounter = value;
            }
        }
    }

    /// <summary>An interrupting event sub-process has started: the scope no longer accepts other events.</summary>
    public bool Interrupted { get; set; }

    /// <summary>An event sub-process run to compensate a completed sub-process: the key that sub-process had (its records' scope).</summary>
    public long? CompensatingKey
    {
        get => _rare?.CompensatingKey;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.CompensatingKey = value;
            }
        }
    }

    /// <summary>A transaction whose cancel end event was reached: once compensated, it is left through its cancel boundary event.</summary>
    public bool Cancelled
    {
        get => _rare?.Cancelled ?? false;
        set
        {
            if (value || _rare is not null)
            {
                Rare.Cancelled = value;
            }
        }
    }

    private ElementInstanceRareFields Rare => _rare ??= new ElementInstanceRareFields();

    public void AddWait(WaitKind kind, Guid id, string elementId) => (Waits ??= []).Add(new WaitRef(kind, id, elementId));
}

/// <summary>The fields of an <see cref="ElementInstance"/> that few element instances hold.</summary>
internal sealed class ElementInstanceRareFields
{
    public Guid? CalledInstanceId { get; set; }

    public Guid? IncidentId { get; set; }

    public IncidentPhase IncidentPhase { get; set; }

    public int LoopCounter { get; set; }

    public Dictionary<string, List<string>>? ComplexResets { get; set; }

    public List<object?>? Collection { get; set; }

    public int Total { get; set; }

    public int Started { get; set; }

    public int Completed { get; set; }

    public long? CompensatingKey { get; set; }

    public bool Cancelled { get; set; }
}

internal enum WaitKind
{
    Timer,
    Message,
    Signal,

    /// <summary>A conditional event: no row of its own, it lives in the instance state and is evaluated as variables change.</summary>
    Condition,
}

/// <summary>A reference from an element instance to a wait-point row; <paramref name="ElementId"/> is the catching node.</summary>
internal readonly record struct WaitRef(WaitKind Kind, Guid Id, string ElementId);

/// <summary>
/// A completed activity that can still be compensated: it has a compensation handler, a compensation event
/// sub-process, or completed compensable activities inside it (whose records name its key as their scope).
/// </summary>
internal sealed class CompensationRecord
{
    /// <summary>The key the completed element instance had.</summary>
    public required long Key { get; init; }

    /// <summary>The element it is an instance of; a migration may map it to another id of the target version.</summary>
    public required string ElementId { get; set; }

    /// <summary>The key of the scope it completed in: a live scope, or the record of a completed sub-process.</summary>
    public required long ScopeKey { get; set; }

    /// <summary>When it completed, as a number that only grows within the instance: compensation runs from the highest down.</summary>
    public required long Sequence { get; init; }

    /// <summary>The activity's own variables as they were when it completed; its handler starts with them.</summary>
    public FeelContext? Variables { get; init; }
}
