namespace Workflows.Engine.Storage;

/// <summary>
/// The guards of a commit, written once for every store: a <see cref="ChangeSet"/> is written only if each holds,
/// otherwise nothing is and the command is retried from the start. A store may check them up front (the
/// in-memory store, under its lock) or as conditional writes inside its transaction (the SQL store, where
/// a row count or a unique key says the guard failed); either way it refuses with these exceptions.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>each written instance is still at its expected row version (0: it does not exist yet);</item>
/// <item>the fired timer still exists, so a timer fires once across nodes;</item>
/// <item>no consumed message id is in the inbox already;</item>
/// <item>each branch saved with an expected revision is still at it;</item>
/// <item>each message start lock released is still held by its instance at the revision read, and each one touched
/// is still held by its instance;</item>
/// <item>no created row's key exists already (definition id or process and version, task, job, timer,
/// subscription, buffered message, correlation of a message to a process, message start lock of a process and key not
/// released by the same commit, incident): the loser of a race that wrote the same row retries;</item>
/// <item>no idempotency key of a start is stored already in its scope;</item>
/// <item>no instance gets a second open incident for its unreadable state (<see cref="IncidentRecord.InstanceStateKey"/>):
/// nothing else guards it, since no instance row is written with it.</item>
/// </list>
/// A module's rows are guarded by its own part of each store, in the same way (the service levels' clocks, the
/// batches' items).
/// </remarks>
internal static class CommitGuards
{
    public static ConcurrencyConflictException InstanceMoved(Guid id, long? current, long expected) =>
        new($"instance {id} changed since it was read (row version {(current is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown")}, expected {expected})");

    public static ConcurrencyConflictException InstancesMoved(IReadOnlyCollection<Guid> ids) =>
        new($"an instance changed since it was read (one of {string.Join(", ", ids)})");

    public static ConcurrencyConflictException TimerGone(Guid id) => new($"timer {id} was fired or closed by another command");

    public static ConcurrencyConflictException MessageConsumed(string messageId) => new($"message {messageId} was consumed by another command");

    public static ConcurrencyConflictException BranchMoved(string id, long expected) => new($"branch {id} changed since it was read (expected revision {expected})");

    public static ConcurrencyConflictException StartLockMoved(MessageStartLockRecord held) =>
        new($"the message start lock of process '{held.ProcessId}' and key '{held.CorrelationKey}' is no longer held by instance {held.InstanceId} at revision {held.Revision}");

    public static ConcurrencyConflictException RowExists(string what) => new($"another command wrote the same row first: {what}");

    public static ConcurrencyConflictException IdempotencyKeyTaken(IdempotencyKeyRecord key) => RowExists($"idempotency key '{key.Key}' (another start with it committed first)");

    public static ConcurrencyConflictException OpenStateIncident(Guid instanceId) => RowExists($"the open incident of instance {instanceId}'s unreadable state");

    /// <summary>Checks every guard against a store's current rows, for a store that checks them before it writes.</summary>
    /// <exception cref="ConcurrencyConflictException">A guard does not hold.</exception>
    public static void Check(ChangeSet changes, IGuardedRows rows)
    {
        foreach (var write in changes.Instances)
        {
            var current = rows.InstanceRowVersion(write.Record.Id);
            if ((current ?? 0) != write.ExpectedRowVersion)
            {
                throw InstanceMoved(write.Record.Id, current, write.ExpectedRowVersion);
            }
        }

        if (changes.FiredTimer is { } fired && !rows.Exists(RowKind.Timer, fired))
        {
            throw TimerGone(fired);
        }

        Unique(rows, RowKind.Task, changes.TasksCreated, static t => t.Id);
        Unique(rows, RowKind.Job, changes.JobsCreated, static j => j.Id);
        Unique(rows, RowKind.Timer, changes.TimersCreated, static t => t.Id);
        if (changes.HasRareChanges)
        {
            CheckRare(changes, rows);
        }
    }

    // Versions, messages and signals, incidents, the inbox, branches and start locks: most commands change none of them.
    private static void CheckRare(ChangeSet changes, IGuardedRows rows)
    {
        // Loops rather than lambdas over the store's rows: each would cost every commit a closure.
        foreach (var (messageId, _) in changes.Inbox)
        {
            if (rows.InInbox(messageId))
            {
                throw MessageConsumed(messageId);
            }
        }

        foreach (var (id, _, _, expected) in changes.Branches)
        {
            if (expected is { } revision && (rows.BranchRevision(id) ?? 0) != revision)
            {
                throw BranchMoved(id, revision);
            }
        }

        foreach (var d in changes.Definitions)
        {
            if (rows.Exists(RowKind.Definition, d.Id) || rows.DefinitionVersionExists(d.ProcessId, d.Version))
            {
                throw RowExists($"definition {d.ProcessId} version {d.Version}");
            }
        }

        Unique(rows, RowKind.MessageSubscription, changes.MessageSubscriptionsCreated, static s => s.Id);
        Unique(rows, RowKind.SignalSubscription, changes.SignalSubscriptionsCreated, static s => s.Id);
        Unique(rows, RowKind.BufferedMessage, changes.MessagesBuffered, static m => m.Id);
        Unique(rows, RowKind.Incident, changes.IncidentsCreated, static i => i.Id);
        foreach (var incident in changes.IncidentsCreated)
        {
            if (incident.ElementKey == IncidentRecord.InstanceStateKey && rows.HasOpenStateIncident(incident.InstanceId))
            {
                throw OpenStateIncident(incident.InstanceId);
            }
        }

        foreach (var correlation in changes.MessageCorrelations)
        {
            if (rows.Correlated(correlation))
            {
                throw RowExists($"message {correlation.BufferedMessageId} was correlated to process '{correlation.ProcessId}' already");
            }
        }

        CheckStartLocks(changes, rows);
        foreach (var key in changes.IdempotencyKeys)
        {
            if (rows.IdempotencyKey(key.Scope, key.Key) is not null)
            {
                throw IdempotencyKeyTaken(key);
            }
        }
    }

    private static void CheckStartLocks(ChangeSet changes, IGuardedRows rows)
    {
        foreach (var released in changes.StartLocksReleased)
        {
            if (rows.MessageStartLock(released.ProcessId, released.CorrelationKey) is not { } held || held.InstanceId != released.InstanceId || held.Revision != released.Revision)
            {
                throw StartLockMoved(released);
            }
        }

        foreach (var touched in changes.StartLocksTouched)
        {
            if (rows.MessageStartLock(touched.ProcessId, touched.CorrelationKey) is not { } held || held.InstanceId != touched.InstanceId)
            {
                throw StartLockMoved(touched);
            }
        }

        foreach (var taken in changes.StartLocksTaken)
        {
            if (rows.MessageStartLock(taken.ProcessId, taken.CorrelationKey) is not null
                && !changes.StartLocksReleased.Exists(r => r.ProcessId == taken.ProcessId && r.CorrelationKey == taken.CorrelationKey))
            {
                throw RowExists($"message start lock of process '{taken.ProcessId}' and key '{taken.CorrelationKey}'");
            }
        }
    }

    private static void Unique<T>(IGuardedRows rows, RowKind kind, List<T> created, Func<T, Guid> id)
    {
        foreach (var row in created)
        {
            if (rows.Exists(kind, id(row)))
            {
                throw RowExists($"{kind} {id(row)}");
            }
        }
    }
}

/// <summary>The kinds of row a change set creates by id.</summary>
internal enum RowKind
{
    Definition,
    Task,
    Job,
    Timer,
    MessageSubscription,
    SignalSubscription,
    BufferedMessage,
    Incident,
}

/// <summary>What <see cref="CommitGuards.Check"/> asks of a store's current rows.</summary>
internal interface IGuardedRows
{
    long? InstanceRowVersion(Guid id);

    bool Exists(RowKind kind, Guid id);

    bool DefinitionVersionExists(string processId, int version);

    bool InInbox(string messageId);

    long? BranchRevision(string id);

    /// <summary>Whether the message was given to an instance of the correlation's process already.</summary>
    bool Correlated(MessageCorrelation correlation);

    MessageStartLockRecord? MessageStartLock(string processId, string correlationKey);

    /// <summary>The idempotency key of a start in <paramref name="scope"/>, if one is stored.</summary>
    IdempotencyKeyRecord? IdempotencyKey(string scope, string key);

    /// <summary>Whether the instance has an open incident for its unreadable state (<see cref="IncidentRecord.InstanceStateKey"/>).</summary>
    bool HasOpenStateIncident(Guid instanceId);
}
