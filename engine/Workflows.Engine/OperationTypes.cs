using Workflows.Engine.Runtime;

namespace Workflows.Engine;

/// <summary>
/// One modification of a running instance (Camunda 8's process instance modification): set variables on scopes,
/// activate elements, terminate element instances — checked whole before anything changes, applied in one command.
/// </summary>
/// <param name="InstanceId">The instance to modify.</param>
/// <param name="Reason">Why: written to the instance's history with the actor. Required.</param>
/// <remarks>
/// Variables are set first, then the elements are activated (creating the sub-processes around them that are not
/// active), then the element instances are terminated; a scope left with no token is terminated with them, and the
/// instance ends as terminated when its last token goes. A refusal (<see cref="ModificationRefusedException"/>) lists
/// every reason at once and changes nothing.
/// </remarks>
public sealed record ModifyInstance(Guid InstanceId, string Reason)
{
    /// <summary>Who modifies, for the history.</summary>
    public string? Actor { get; init; }

    /// <summary>Variables set on existing scopes before anything else.</summary>
    public IReadOnlyList<ScopeVariables> Variables { get; init; } = [];

    /// <summary>Elements to activate.</summary>
    public IReadOnlyList<ActivateElement> Activate { get; init; } = [];

    /// <summary>Element instances to terminate, with everything inside them.</summary>
    public IReadOnlyList<TerminateElement> Terminate { get; init; } = [];
}

/// <summary>Variables set as local variables of a live scope.</summary>
/// <param name="ScopeKey">The element instance key of the scope; null for the process scope.</param>
/// <param name="Values">The variables.</param>
public sealed record ScopeVariables(long? ScopeKey, IReadOnlyDictionary<string, object?> Values);

/// <summary>An element to activate: a new token at it, as if a sequence flow had reached it.</summary>
/// <param name="ElementId">The element's id in the instance's process version.</param>
/// <remarks>
/// Start events, boundary events, events after an event-based gateway, joining gateways, compensation handlers and
/// event sub-processes themselves cannot be activated (the elements inside an event sub-process can). A multi-instance
/// element activates its body; an element inside a multi-instance sub-process only where one of its inner instances runs.
/// </remarks>
public sealed record ActivateElement(string ElementId)
{
    /// <summary>
    /// The live scope (an element instance key) to activate it in: needed when the element's sub-process runs more than
    /// once; the sub-processes between that scope and the element are created. Null: the one live instance of each
    /// enclosing scope, created where none runs.
    /// </summary>
    public long? AncestorKey { get; init; }

    /// <summary>Local variables of the activated element, set before its input mappings run.</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }

    /// <summary>Local variables of scopes this activation creates, by the scope's element id (or the element's own).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>>? ScopeVariables { get; init; }
}

/// <summary>Element instances to terminate: one by <paramref name="ElementKey"/>, or every live one of <paramref name="ElementId"/>.</summary>
/// <param name="ElementKey">The element instance key; null when <paramref name="ElementId"/> is given.</param>
/// <param name="ElementId">The element id; null when <paramref name="ElementKey"/> is given.</param>
public sealed record TerminateElement(long? ElementKey, string? ElementId = null);

/// <summary>What a modification did.</summary>
/// <param name="Activated">The keys of the activated element instances, in the order of the instructions.</param>
/// <param name="Terminated">The keys of the element instances terminated by the instructions (not their children).</param>
/// <param name="Status">The instance's state after the command.</param>
public sealed record ModificationResult(IReadOnlyList<long> Activated, IReadOnlyList<long> Terminated, ProcessInstanceStatus Status);

/// <summary>A modification the engine refuses: every reason, and nothing changed.</summary>
public sealed class ModificationRefusedException(Guid instanceId, IReadOnlyList<string> reasons)
    : WorkflowInputException($"the modification of instance {instanceId} is refused: {string.Join("; ", reasons)}")
{
    /// <summary>Each reason, one problem per entry.</summary>
    public IReadOnlyList<string> Reasons { get; } = reasons;
}

/// <summary>What a batch operation does to each instance it selected.</summary>
public enum BatchKind
{
    /// <summary>Cancels the instance.</summary>
    Cancel,

    /// <summary>Retries every open incident of the instance.</summary>
    ResolveIncidents,

    /// <summary>Applies the same modification (by element ids) to the instance.</summary>
    Modify,

    /// <summary>Moves the instance to another version of its process, as a <see cref="MigrationPlan"/> says.</summary>
    Migrate,
}

/// <summary>Where a batch is.</summary>
public enum BatchState
{
    /// <summary>The worker takes its instances in chunks.</summary>
    Running,

    /// <summary>Paused: no new chunk is taken until it is resumed.</summary>
    Paused,

    /// <summary>Every instance has a result.</summary>
    Completed,
}

/// <summary>What became of one instance of a batch.</summary>
public enum BatchItemStatus
{
    /// <summary>Not yet done.</summary>
    Pending,

    /// <summary>Done, in the same transaction as this result.</summary>
    Done,

    /// <summary>Nothing to do (already ended, no incident), with the reason.</summary>
    Skipped,

    /// <summary>Refused or failed, with the reason; the instance is unchanged.</summary>
    Failed,
}

/// <summary>The instances a batch selects: every filter given must hold; at least one of them must be given.</summary>
public sealed record BatchSelection
{
    /// <summary>The journey (process id).</summary>
    public string? ProcessId { get; init; }

    /// <summary>The process version.</summary>
    public int? Version { get; init; }

    /// <summary>The branch.</summary>
    public string? Branch { get; init; }

    /// <summary>The instance state; active when not given.</summary>
    public ProcessInstanceStatus? Status { get; init; }

    /// <summary>With (true) or without (false) an open incident.</summary>
    public bool? HasIncident { get; init; }

    /// <summary>Exactly these instances (still filtered by the rest); an empty list is refused (it names no instance).</summary>
    public IReadOnlyList<Guid>? InstanceIds { get; init; }

    /// <summary>
    /// Conditions on the variables the journeys declare searchable (<c>wf:searchable</c>), every one of which must hold:
    /// equality and ranges, read as the declared types, as instance searches take them; at most 10.
    /// </summary>
    public IReadOnlyList<VariableFilter> Variables { get; init; } = [];
}

/// <summary>Cancels one running instance from outside, with who and why written to its history.</summary>
/// <param name="InstanceId">The instance to cancel.</param>
/// <param name="Reason">Why: written to the instance's history with the actor. Required.</param>
public sealed record CancelInstance(Guid InstanceId, string Reason)
{
    /// <summary>Who cancels, for the history.</summary>
    public string? Actor { get; init; }
}

/// <summary>A batch operation to create.</summary>
/// <param name="Kind">What to do to each instance.</param>
/// <param name="Selection">Which instances: resolved once, when the batch is created.</param>
/// <param name="Reason">Why: written to each instance's history with the actor. Required.</param>
public sealed record CreateBatch(BatchKind Kind, BatchSelection Selection, string Reason)
{
    /// <summary>Who creates it.</summary>
    public string? Actor { get; init; }

    /// <summary>Created paused, to check its total before <see cref="Services.WorkflowOperations.ResumeBatchAsync(Guid, string?, CancellationToken)"/> lets the worker take it.</summary>
    public bool Paused { get; init; }

    /// <summary>For <see cref="BatchKind.Modify"/>: the modification applied to every instance (by element ids; no keys).</summary>
    public BatchModification? Modification { get; init; }

    /// <summary>For <see cref="BatchKind.Migrate"/>: the plan every instance is migrated by.</summary>
    public MigrationPlan? Migration { get; init; }
}

/// <summary>A modification by element ids, the same for every instance of a batch (Camunda 8's batch move).</summary>
public sealed record BatchModification
{
    /// <summary>Element ids whose live instances are terminated.</summary>
    public IReadOnlyList<string> Terminate { get; init; } = [];

    /// <summary>Element ids to activate, each with the one live instance of its enclosing scopes.</summary>
    public IReadOnlyList<string> Activate { get; init; } = [];

    /// <summary>Variables set on the process scope.</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }
}

/// <summary>A batch with its progress.</summary>
public sealed record BatchInfo(Guid Id, BatchKind Kind, BatchState State, string Reason, string? Actor, string? Branch, int Total, int Pending, int Done, int Skipped, int Failed,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt)
{
    /// <summary>Who did what to the batch, oldest first: its creation (by <see cref="Actor"/>), then each pause and resume.</summary>
    public IReadOnlyList<BatchStepInfo> Steps { get; init; } = [];
}

/// <summary>An operator's command on a batch: <paramref name="Action"/> is <c>created</c>, <c>paused</c> or <c>resumed</c>.</summary>
public sealed record BatchStepInfo(DateTimeOffset At, string Action, string? Actor);

/// <summary>One instance's result in a batch; <paramref name="Seq"/> orders them (page with <c>after</c>).</summary>
public sealed record BatchItemInfo(long Seq, Guid InstanceId, BatchItemStatus Status, string? Detail, DateTimeOffset? At);
