using Workflows.Engine.Runtime;

namespace Workflows.Engine.Storage;

// The rows a store keeps. Each kind of wait point is its own table so that every lookup a command
// makes is an indexed read: no store ever scans instance state to find what waits on what.

internal sealed record DefinitionRecord(
    Guid Id,
    string ProcessId,
    int Version,
    string? VersionTag,
    string Checksum,
    string Xml,
    Guid DeploymentId,
    DateTimeOffset DeployedAt,
    string? DeployedBy);

internal sealed record InstanceRecord(
    Guid Id,
    string ProcessId,
    Guid DefinitionId,
    int Version,
    string? BusinessKey,
    ProcessInstanceStatus Status,
    long RowVersion,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    Guid? ParentInstanceId,
    byte[] State)
{
    /// <summary>The branch the instance runs for, from its process's <c>wf:journey</c> mapping, for lists by branch.</summary>
    public string? Branch { get; init; }

    /// <summary>The customer whose case it is, from the same mapping, for a customer's own cases.</summary>
    public string? CustomerId { get; init; }
}

/// <summary>Which instances to list: every filter given must hold; newest first, at most <see cref="Max"/>.</summary>
internal sealed record InstanceFilter(string? ProcessId, string? BusinessKey, int Max)
{
    public string? Branch { get; init; }

    public string? CustomerId { get; init; }

    public ProcessInstanceStatus? Status { get; init; }

    /// <summary>The definition version (with <see cref="ProcessId"/>).</summary>
    public int? Version { get; init; }

    /// <summary>True: only instances with an open incident; false: only those without.</summary>
    public bool? HasIncident { get; init; }

    /// <summary>Conditions on indexed variables (wf_variable_index), every one of which must hold.</summary>
    public IReadOnlyList<VariableCondition> Variables { get; init; } = [];

    /// <summary>The keyset cursor: only instances after this one in the list's order (started later first, then id).</summary>
    public (DateTimeOffset StartedAt, Guid Id)? After { get; init; }
}

internal enum TaskStatus
{
    Open,
    Completed,
    Cancelled,
}

/// <summary>
/// A user task. <see cref="ElementKey"/> 0 marks a task the engine opened outside the model (a
/// satisfaction recovery task): completing it sets variables and moves no token.
/// </summary>
internal sealed record UserTaskRecord(
    Guid Id,
    Guid InstanceId,
    long ElementKey,
    string ElementId,
    string? Name,
    string ProcessId,
    string? BusinessKey,
    string? Assignee,
    IReadOnlyList<string> CandidateGroups,
    IReadOnlyList<string> CandidateUsers,
    int Priority,
    DateTimeOffset? DueDate,
    DateTimeOffset? FollowUpDate,
    string? FormJson,
    DateTimeOffset CreatedAt)
{
    public TaskStatus Status { get; init; } = TaskStatus.Open;

    public string? CustomerId { get; init; }

    public string? Branch { get; init; }

    /// <summary>The journey's name: the process name, else its id.</summary>
    public string? Journey { get; init; }

    /// <summary>What a module marks the task with for the queues (service levels: its nearest clock); none by default.</summary>
    public TaskMark Mark { get; init; }

    /// <summary>Why the stored row could not be read whole (its candidate lists then read empty); null when it could.</summary>
    public string? Problem { get; init; }

    /// <summary>The queue keys the task is offered in: its candidate groups, and <c>user:</c> + each candidate user.</summary>
    public IEnumerable<string> QueueKeys => CandidateGroups.Concat(CandidateUsers.Select(UserQueue));

    public static string UserQueue(string user) => "user:" + user;
}

/// <summary>
/// A task read with its instance in one snapshot (<see cref="ITaskQueueStore.GetTaskWithInstanceAsync"/>): the instance is
/// null when its row is gone; the open clocks are null unless they were asked for.
/// </summary>
internal sealed record TaskWithInstance(UserTaskRecord Task, InstanceRecord? Instance, IReadOnlyList<ServiceLevels.SlaClockRecord>? OpenClocks)
{
    /// <summary>
    /// The stamp the store keeps its decision choices by (migration 38), read in the task's statement; null when it was not
    /// read. Handed to the command's business rule tasks (<see cref="IDecisionStore.GetDecisionChoiceRowsAsync"/>).
    /// </summary>
    public long? DecisionChoiceStamp { get; init; }
}

internal sealed record JobRecord(
    Guid Id,
    Guid InstanceId,
    long ElementKey,
    string ElementId,
    string Type,
    int Retries,
    DateTimeOffset CreatedAt,
    DateTimeOffset DueAt,
    string HeadersJson,
    string VariablesJson,
    int Failures = 0,
    bool External = false);

/// <summary>A timer row; start-event timers have no instance and name their definition instead.</summary>
internal sealed record TimerRecord(
    Guid Id,
    Guid? InstanceId,
    long ElementKey,
    string ElementId,
    Guid DefinitionId,
    DateTimeOffset DueAt,
    TimeSpan? Interval,
    int Remaining);

internal sealed record MessageSubscriptionRecord(
    Guid Id,
    Guid? InstanceId,
    long ElementKey,
    string ElementId,
    Guid DefinitionId,
    string MessageName,
    string? CorrelationKey,
    DateTimeOffset CreatedAt);

internal sealed record SignalSubscriptionRecord(
    Guid Id,
    Guid? InstanceId,
    long ElementKey,
    string ElementId,
    Guid DefinitionId,
    string SignalName);

/// <summary>A buffered message given to an instance of a process: one message goes to a process at most once.</summary>
internal readonly record struct MessageCorrelation(Guid BufferedMessageId, Guid InstanceId, string ProcessId);

/// <summary>
/// The instance of <paramref name="ProcessId"/> a message with <paramref name="CorrelationKey"/> started and that is still active:
/// while it is, no other message with that key starts the process (Camunda 8). <paramref name="Revision"/> counts the
/// messages it kept waiting in the buffer.
/// </summary>
internal sealed record MessageStartLockRecord(string ProcessId, string CorrelationKey, Guid InstanceId, long Revision);

internal sealed record BufferedMessageRecord(
    Guid Id,
    string? MessageId,
    string Name,
    string CorrelationKey,
    string VariablesJson,
    DateTimeOffset PublishedAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>When the expiry sweep found its time-to-live over; null while it may still be taken.</summary>
    public DateTimeOffset? ExpiredAt { get; init; }

    /// <summary>Whether it expired with no instance ever taking it: recorded, reported, never dropped silently.</summary>
    public bool Unclaimed { get; init; }

    /// <summary>The branch a process it starts runs for (its pin chooses the version); null for none.</summary>
    public string? Branch { get; init; }
}

internal sealed record IncidentRecord(
    Guid Id,
    Guid InstanceId,
    long ElementKey,
    string ElementId,
    string Message,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ResolvedAt)
{
    /// <summary>The element key of an incident that stands for the instance as a whole: its stored state cannot be read (at most one open).</summary>
    public const long InstanceStateKey = 0;
}

/// <summary>A message the engine sends out (send task, message throw/end event, SLA notification), published by the outbox relay.</summary>
internal sealed record OutboxRecord(
    Guid Id,
    Guid InstanceId,
    string ElementId,
    string MessageName,
    string? CorrelationKey,
    string VariablesJson,
    DateTimeOffset CreatedAt)
{
    /// <summary>The row's place in the outbox: the relay publishes in this order.</summary>
    public long Seq { get; init; }

    public OutgoingMessageKind Kind { get; init; }

    /// <summary>The <see cref="OutboxHeaders"/> as JSON.</summary>
    public string HeadersJson { get; init; } = "{}";

    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>When the row was parked (engines kept giving its message up); null unless parked.</summary>
    public DateTimeOffset? ParkedAt { get; init; }

    /// <summary>Why it was parked: how often it was given up and the last failure.</summary>
    public string? ParkedReason { get; init; }

    public OutboxHeaders Headers => OutboxHeaders.FromJson(HeadersJson);
}

/// <summary>What an outbox row carries besides its variables.</summary>
internal sealed record OutboxHeaders(Handoff Handoff, TimeSpan TimeToLive)
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, Json);

    public static OutboxHeaders FromJson(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<OutboxHeaders>(json, Json) is { Handoff: not null } headers ? headers : new OutboxHeaders(new Handoff(), TimeSpan.Zero);
}

internal sealed record HistoryRecord(
    Guid InstanceId,
    DateTimeOffset At,
    string Kind,
    string? ElementId,
    long? ElementKey,
    string? Actor,
    string? Detail);

/// <summary>Everything one command changes, committed by the store in one transaction or not at all.</summary>
internal sealed class ChangeSet
{
    // What few commands change (versions, messages and signals, incidents, branches, migrations) lives apart, made on
    // first use: every command makes a change set, and two dozen empty lists were most of what one cost.
    private RareChanges? _rare;

    private RareChanges Rare => _rare ??= new();

    /// <summary>
    /// Whether any list of the rarely changed rows (versions, messages and signals, incidents, outbox and inbox, branches,
    /// migrations, requeued tasks) was used; when not, every one of them is empty and a store need not look at them.
    /// </summary>
    public bool HasRareChanges => _rare is not null;

    public List<DefinitionRecord> Definitions => Rare.Definitions;

    /// <summary>Versions whose stored XML becomes another drawing of the same model (its canonical form unchanged).</summary>
    public List<(Guid DefinitionId, string Xml)> DiagramsReplaced => Rare.DiagramsReplaced;

    /// <summary>Instances written; <see cref="InstanceWrite.ExpectedRowVersion"/> 0 inserts.</summary>
    /// <remarks>
    /// Sized for the usual command (one instance, one task closed, a handful of history rows): a list grown from empty
    /// makes an array of four, then of eight, and these were ~5 % of what an in-memory command allocates.
    /// </remarks>
    public List<InstanceWrite> Instances { get; } = new(1);

    public List<UserTaskRecord> TasksCreated { get; } = [];

    public List<(Guid Id, TaskStatus Status)> TasksClosed { get; } = new(1);

    /// <summary>
    /// Open tasks whose assignee, queues or priority changed (claim, unclaim, delegate, move, escalation): a store
    /// writes those and the clock fields, nothing else of the task.
    /// </summary>
    public List<UserTaskRecord> TasksUpdated { get; } = [];

    public List<JobRecord> JobsCreated { get; } = [];

    public List<Guid> JobsClosed { get; } = [];

    /// <summary>The timer this command fires: it must still exist at commit, so a timer fires once across nodes.</summary>
    public Guid? FiredTimer { get; set; }

    public List<TimerRecord> TimersCreated { get; } = [];

    public List<Guid> TimersRemoved { get; } = [];

    public List<MessageSubscriptionRecord> MessageSubscriptionsCreated => Rare.MessageSubscriptionsCreated;

    public List<Guid> MessageSubscriptionsRemoved => Rare.MessageSubscriptionsRemoved;

    public List<SignalSubscriptionRecord> SignalSubscriptionsCreated => Rare.SignalSubscriptionsCreated;

    public List<Guid> SignalSubscriptionsRemoved => Rare.SignalSubscriptionsRemoved;

    public List<BufferedMessageRecord> MessagesBuffered => Rare.MessagesBuffered;

    /// <summary>Buffered messages given to instances: one message, at most once per process (a unique key, so two commands racing for it cannot both take it).</summary>
    public List<MessageCorrelation> MessageCorrelations => Rare.MessageCorrelations;

    /// <summary>Instances started by a message with a correlation key, each now holding its process and key.</summary>
    public List<MessageStartLockRecord> StartLocksTaken => Rare.StartLocksTaken;

    /// <summary>Locks whose instance ended: each must still be held by it at the revision read, else the commit conflicts.</summary>
    public List<MessageStartLockRecord> StartLocksReleased => Rare.StartLocksReleased;

    /// <summary>
    /// Locks that kept a message from starting an instance while it stays buffered: each gets a new revision, so an ending
    /// of the holder that looked for buffered messages before this one was committed conflicts and looks again.
    /// </summary>
    public List<MessageStartLockRecord> StartLocksTouched => Rare.StartLocksTouched;

    /// <summary>
    /// Locks of ended instances of processes no message starts, deleted when their instance still holds them, without a
    /// guard: no buffered message waits on them (a unique business key's lock, or none at all).
    /// </summary>
    public List<MessageStartLockRecord> StartLocksFreed => Rare.StartLocksFreed;

    public List<IncidentRecord> IncidentsCreated => Rare.IncidentsCreated;

    public List<(Guid Id, DateTimeOffset At)> IncidentsResolved => Rare.IncidentsResolved;

    public List<OutboxRecord> Outbox => Rare.Outbox;

    /// <summary>Ids of the messages this command consumed: a second delivery of one finds it and does nothing.</summary>
    public List<(string MessageId, DateTimeOffset ReceivedAt)> Inbox => Rare.Inbox;

    /// <summary>Idempotency keys of starts, written with their instance: a key already stored refuses the commit (a race to start once).</summary>
    public List<IdempotencyKeyRecord> IdempotencyKeys => Rare.IdempotencyKeys;

    public List<HistoryRecord> History { get; } = new(8);

    /// <summary>Whether any task was created, updated, closed or marked: when not, a store need not look at the task lists.</summary>
    public bool HasTaskChanges => TasksCreated.Count > 0 || TasksUpdated.Count > 0 || TasksClosed.Count > 0 || TaskMarks.Count > 0;

    /// <summary>
    /// Whether the command only adds rows of its own (new instances and what they wait at, their history): no guard
    /// (row version, fired timer, a row that must still exist, a key another command may take) can refuse it, so it fails
    /// only with the store. A store writing several commands in one transaction need not be ready to undo one of these alone.
    /// </summary>
    public bool OnlyAdds
    {
        get
        {
            // A module's rows count as the command's own when its part says they are all new (a start's SLA clocks).
            if (_rare is not null || !Modules.ModuleParts.OnlyAdd(_parts) || FiredTimer is not null || TasksUpdated.Count > 0 || TasksClosed.Count > 0 || TaskMarks.Count > 0
                || JobsClosed.Count > 0 || TimersRemoved.Count > 0)
            {
                return false;
            }

            foreach (var write in Instances)
            {
                if (write.ExpectedRowVersion != 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Whether any job or timer was created or removed (the fired timer aside, which the instances' guards check).</summary>
    public bool HasScheduleChanges => JobsCreated.Count > 0 || JobsClosed.Count > 0 || TimersCreated.Count > 0 || TimersRemoved.Count > 0;

    /// <summary>Open tasks whose <see cref="UserTaskRecord.Mark"/> a module changed, and nothing else about them.</summary>
    public List<(Guid TaskId, TaskMark Mark)> TaskMarks { get; } = [];

    // Modules' own rows (e.g. ServiceLevels.ServiceLevelChanges), which every store commits in the same transaction; null while none.
    private object[]? _parts;

    /// <summary>A module's part of the change set; null when the command changed none of its rows.</summary>
    public T? Part<T>()
        where T : class => Modules.ModuleParts.Find<T>(_parts);

    /// <summary>A module's part of the change set, added when the command had none, to add rows to.</summary>
    public T PartToFill<T>()
        where T : class, new() => Part<T>() ?? Modules.ModuleParts.Add(ref _parts, new T());

    /// <summary>
    /// Branches saved, as JSON, by id, each at its new revision; with an expected revision the save is refused
    /// (a conflict) unless the stored branch is still at it.
    /// </summary>
    public List<(string Id, string Json, long Revision, long? ExpectedRevision)> Branches => Rare.Branches;

    /// <summary>Instances moved to another version: the rows they own re-pointed at the target's elements, nothing else of them changed.</summary>
    public List<InstanceMigration> Migrations => Rare.Migrations;

    /// <summary>Open tasks whose queues changed (moved, reassigned to other candidates): their queue entries are written anew.</summary>
    public HashSet<Guid> TasksRequeued => Rare.TasksRequeued;

    /// <summary>Whether the task's queues changed in this command (<see cref="TasksRequeued"/>), read without making the rare lists.</summary>
    public bool Requeued(Guid taskId) => _rare is not null && _rare.TasksRequeued.Contains(taskId);

    /// <summary>Records an open task's new state, replacing an earlier change of the same task in this command.</summary>
    public void UpdateTask(UserTaskRecord task, UserTaskRecord previous)
    {
        if (!task.QueueKeys.SequenceEqual(previous.QueueKeys))
        {
            TasksRequeued.Add(task.Id);
        }

        var created = TasksCreated.FindIndex(t => t.Id == task.Id);
        if (created >= 0)
        {
            TasksCreated[created] = task;
            return;
        }

        // The first change of a task in a command is made on its stored row: its sort keys are the row's.
        (_storedSortKeys ??= []).TryAdd(task.Id, SortKeys(previous));
        TasksUpdated.RemoveAll(t => t.Id == task.Id);
        TasksUpdated.Add(task);
    }

    // The sort keys (the queue index's and the task lists') of the updated tasks as stored, by id.
    private Dictionary<Guid, (long DueSort, int InvPriority)>? _storedSortKeys;

    private static (long, int) SortKeys(UserTaskRecord task)
    {
        var key = TaskSortKey.Of(task);
        return (key.DueSort, key.InvPriority);
    }

    /// <summary>
    /// Whether an updated task's sort keys may differ from its stored row's: false only when this command changed it
    /// through <see cref="UpdateTask"/> and left them as they were (a claim, a comment), so that a store whose indexes are
    /// rewritten whenever an UPDATE names their columns (SQLite) need not name them.
    /// </summary>
    public bool SortKeysChanged(UserTaskRecord task) =>
        _storedSortKeys is null || !_storedSortKeys.TryGetValue(task.Id, out var stored) || stored != SortKeys(task);

    /// <summary>The state of a task as this command has changed it so far, if it has.</summary>
    public UserTaskRecord? ChangedTask(Guid id) => TasksUpdated.Find(t => t.Id == id) ?? TasksCreated.Find(t => t.Id == id);
}

/// <summary>The lists of a <see cref="ChangeSet"/> that few commands fill (see <see cref="ChangeSet.HasRareChanges"/>).</summary>
internal sealed class RareChanges
{
    public List<DefinitionRecord> Definitions { get; } = [];

    public List<(Guid DefinitionId, string Xml)> DiagramsReplaced { get; } = [];

    public List<MessageSubscriptionRecord> MessageSubscriptionsCreated { get; } = [];

    public List<Guid> MessageSubscriptionsRemoved { get; } = [];

    public List<SignalSubscriptionRecord> SignalSubscriptionsCreated { get; } = [];

    public List<Guid> SignalSubscriptionsRemoved { get; } = [];

    public List<BufferedMessageRecord> MessagesBuffered { get; } = [];

    public List<MessageCorrelation> MessageCorrelations { get; } = [];

    public List<MessageStartLockRecord> StartLocksTaken { get; } = [];

    public List<MessageStartLockRecord> StartLocksReleased { get; } = [];

    public List<MessageStartLockRecord> StartLocksTouched { get; } = [];

    public List<MessageStartLockRecord> StartLocksFreed { get; } = [];

    public List<IncidentRecord> IncidentsCreated { get; } = [];

    public List<(Guid Id, DateTimeOffset At)> IncidentsResolved { get; } = [];

    public List<OutboxRecord> Outbox { get; } = [];

    public List<(string MessageId, DateTimeOffset ReceivedAt)> Inbox { get; } = [];

    public List<(string Id, string Json, long Revision, long? ExpectedRevision)> Branches { get; } = [];

    public List<InstanceMigration> Migrations { get; } = [];

    public HashSet<Guid> TasksRequeued { get; } = [];

    public List<IdempotencyKeyRecord> IdempotencyKeys { get; } = [];
}

/// <summary>
/// One instance's migration as the store writes it: the rows it owns by id (tasks also take the target's name; timers and
/// subscriptions the target definition), and its clocks by element key and old element id.
/// </summary>
internal sealed record InstanceMigration(Guid InstanceId, Guid DefinitionId)
{
    public List<RowMove> Rows { get; } = [];

    public List<ElementMove> Elements { get; } = [];
}

/// <summary>A row re-pointed at another element; <paramref name="Name"/> is a task's new name.</summary>
internal readonly record struct RowMove(RowKind Kind, Guid Id, string ElementId, string? Name);

/// <summary>An element instance whose element id changed.</summary>
internal readonly record struct ElementMove(long Key, string From, string To);

internal readonly record struct InstanceWrite(InstanceRecord Record, long ExpectedRowVersion)
{
    /// <summary>
    /// Whether the end, branch or customer (the instance's indexed columns) may differ from its stored row's: false only
    /// when the command read them with the row its commit is guarded by and left them as they were, so that a store
    /// whose index is rewritten whenever an UPDATE names its column (SQLite) need not name them.
    /// </summary>
    public bool IndexedColumnsChanged { get; init; } = true;

    /// <summary>
    /// Whether the record's state, status and version are the ones the row holds (read with the row the guard holds to,
    /// and left as they were: a task's claim), so that a store may write the row version alone.
    /// </summary>
    public bool StateUnchanged { get; init; }
}

/// <summary>A commit lost an optimistic-concurrency race; the command is retried from the start.</summary>
internal sealed class ConcurrencyConflictException(string message) : Exception(message);
