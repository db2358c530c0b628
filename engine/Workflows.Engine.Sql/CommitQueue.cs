using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

/// <summary>A command's change set waiting in a <see cref="CommitQueue"/>, and the caller's wait for its durable end.</summary>
internal sealed class PendingCommit(ChangeSet changes, IReadOnlyList<object> history, CancellationToken ct)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A change set with its history encoded as text every dialect binds, for tests that build a group by hand.</summary>
    public PendingCommit(ChangeSet changes, CancellationToken ct)
        : this(changes, HistoryEvents.Rows(changes.History, utf8: false), ct)
    {
    }

    public ChangeSet Changes => changes;

    /// <summary>The change set's history rows, encoded by its caller before it queued (<see cref="HistoryEvents.Rows"/>).</summary>
    public IReadOnlyList<object> History => history;

    /// <summary>The caller's token: a caller that gave up before its writes began is left out of the group.</summary>
    public CancellationToken Ct => ct;

    /// <summary>When it was queued (<see cref="System.Diagnostics.Stopwatch"/> ticks), for the queue's bound on how long one waits.</summary>
    public long QueuedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    public Task Done => _done.Task;

    public void Durable() => _done.TrySetResult();

    public void Failed(Exception e) => _done.TrySetException(e);
}

/// <summary>
/// Group commit: change sets arriving while a group is being written wait here, and the next flusher takes them all
/// (up to <c>maxGroup</c>) into one transaction, one flush. Nobody waits on a timer: a group is what piled up while the
/// last one was flushing, so a lone command commits at once and a crowd shares each flush.
/// </summary>
/// <remarks>
/// On SQLite the group being written also takes, before its commit, the change sets that arrived while it was being
/// written (<see cref="TakeArrived"/>): they were coming anyway, and share its flush instead of waiting for it and then
/// paying one of their own; nobody waits for a command still running, so a lone command is written at once as before.
/// First in, first written: a command queued after another is written after it (in a later group, or later in the
/// same one), which keeps the order of commands on one instance. At most <c>maxFlushers</c> groups are written at once
/// (one on SQLite, which has one writer). While one is being written, another flusher starts only once
/// <c>waitingForAnother</c> change sets wait (on a server: three): one or two commands wait for the group in flight,
/// whose flusher takes them next, and each further group holds three or more. On PostgreSQL a transaction costs its
/// server ~150 µs of CPU whatever it holds (BENCHMARKS.md, round 17's floor); with 8 clients, when every arrival could
/// start a flusher of its own, a transaction held 1.46 commands (round 20: 2.2 with three, 1.8 with two). A change set
/// never waits so for longer than <c>holdAtMost</c>: the group in flight may itself wait (a row lock held by another
/// session, a lost COMMIT's outcome asked), and a command of another instance must not wait with it while flushers are
/// free (review 20, F3).
/// </remarks>
internal sealed class CommitQueue(Func<List<PendingCommit>, Task> flush, int maxFlushers, int maxGroup, int waitingForAnother = 1, TimeSpan? holdAtMost = null)
{
    private readonly Lock _gate = new();
    private readonly Queue<PendingCommit> _waiting = new();
    private int _flushers;
    private bool _watching; // a check of the oldest waiting change set is due (holdAtMost)

    /// <summary>
    /// Queues a change set with its history's rows (made on the caller's thread, not the flusher's); the task ends when it
    /// is durable, or with why it was not written.
    /// </summary>
    public Task CommitAsync(ChangeSet changes, IReadOnlyList<object> history, CancellationToken ct)
    {
        var pending = new PendingCommit(changes, history, ct);
        bool start, watch = false;
        lock (_gate)
        {
            _waiting.Enqueue(pending);
            start = _flushers == 0 || (_flushers < maxFlushers && _waiting.Count >= waitingForAnother);
            if (start)
            {
                Started();
            }
            else if (holdAtMost is not null && !_watching && _flushers < maxFlushers)
            {
                _watching = watch = true;
            }
        }

        if (start)
        {
            StartFlusher();
        }
        else if (watch)
        {
            _ = StartIfHeldTooLongAsync(holdAtMost!.Value);
        }

        return pending.Done;
    }

    private void Started()
    {
        _flushers++;
        MostFlushers = Math.Max(MostFlushers, _flushers);
    }

    private void StartFlusher()
    {
        WriterMeter.FlusherStarted();

        // Off the caller's path: a flusher keeps writing groups while they come, and its first caller need not wait for them.
        _ = Task.Run(FlushWhileWaitingAsync, CancellationToken.None);
    }

    // Once the oldest change set waiting has waited holdAtMost and a flusher is free, it gets one; until then the check
    // comes again when it would have (one timer at a time, armed only while change sets wait short of a flusher).
    private async Task StartIfHeldTooLongAsync(TimeSpan hold)
    {
        var delay = hold;
        while (true)
        {
            await Task.Delay(delay).ConfigureAwait(false);
            bool start;
            lock (_gate)
            {
                if (!_waiting.TryPeek(out var oldest) || _flushers >= maxFlushers)
                {
                    _watching = false;
                    return;
                }

                delay = hold - System.Diagnostics.Stopwatch.GetElapsedTime(oldest.QueuedAt);
                start = delay <= TimeSpan.Zero;
                if (start)
                {
                    Started();
                    _watching = false;
                }
            }

            if (start)
            {
                StartFlusher();
                return;
            }
        }
    }

    /// <summary>How many groups have been written at once, at most, for tests of when another flusher starts.</summary>
    internal int MostFlushers { get; private set; }

    /// <summary>How many change sets wait for a flusher, for tests that hold a group until others have reached the queue.</summary>
    internal int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>
    /// Adds to <paramref name="group"/>, a group being written, the change sets that have arrived since it was taken, first
    /// in first and up to the group's limit: they are written in its transaction and share its flush.
    /// </summary>
    /// <returns>Whether any was added.</returns>
    public bool TakeArrived(List<PendingCommit> group)
    {
        lock (_gate)
        {
            var before = group.Count;
            while (group.Count < maxGroup && _waiting.TryDequeue(out var next))
            {
                group.Add(next);
            }

            return group.Count > before;
        }
    }

    private async Task FlushWhileWaitingAsync()
    {
        while (true)
        {
            List<PendingCommit> group;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _flushers--;
                    return;
                }

                group = new List<PendingCommit>(Math.Min(_waiting.Count, maxGroup));
                while (group.Count < maxGroup && _waiting.TryDequeue(out var next))
                {
                    group.Add(next);
                }
            }

            try
            {
                await flush(group).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // every waiter is told: a flusher never dies with callers waiting
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var pending in group)
                {
                    pending.Failed(e);
                }
            }
        }
    }
}
