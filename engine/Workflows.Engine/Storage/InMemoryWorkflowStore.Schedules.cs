namespace Workflows.Engine.Storage;

// Timers and jobs by due time, claimed with leases; and the named leases.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<Guid, JobRecord> _jobs = [];
    private readonly Dictionary<Guid, TimerRecord> _timers = [];
    private readonly SortedSet<(DateTimeOffset Due, Guid Id)> _timersByDue = [];

    // A row's lease: who holds it until when (timers, jobs and the service-level clocks have distinct ids).
    private readonly Dictionary<Guid, (string Owner, DateTimeOffset Until)> _leases = [];
    private readonly Dictionary<string, (string Owner, DateTimeOffset Until)> _namedLeases = new(StringComparer.Ordinal);

    public ValueTask<TimerRecord?> GetTimerAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_timers.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<TimerRecord>> ClaimDueTimersAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(ClaimDue(_timersByDue, _timers, now, max, owner, leaseNow, leaseUntil));
        }
    }

    public ValueTask<DateTimeOffset?> GetNextTimerDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(NextDue(_timersByDue, now));
        }
    }

    public ValueTask<(JobRecord? Job, InstanceRecord? Instance, IReadOnlyList<ServiceLevels.SlaClockRecord>? OpenClocks)> GetJobWithInstanceAsync(Guid id, bool openClocks, CancellationToken ct)
    {
        lock (_gate)
        {
            var job = _jobs.GetValueOrDefault(id);
            return new((job, job is null ? null : _instances.GetValueOrDefault(job.InstanceId), null));
        }
    }

    public ValueTask<JobRecord?> GetJobAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_jobs.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<JobRecord>> GetJobsAsync(Guid? instanceId, string? type, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_jobs.Values
                .Where(j => (instanceId is null || j.InstanceId == instanceId) && (type is null || j.Type == type))
                .OrderBy(j => j.CreatedAt)
                .ToList());
        }
    }

    public ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsAsync(IReadOnlyCollection<string> types, DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct) =>
        ClaimJobs(j => types.Contains(j.Type), now, max, owner, leaseNow, leaseUntil);

    public ValueTask<IReadOnlyList<JobRecord>> ClaimDueExternalJobsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct) =>
        ClaimJobs(j => j.External, now, max, owner, leaseNow, leaseUntil);

    private ValueTask<IReadOnlyList<JobRecord>> ClaimJobs(Func<JobRecord, bool> wanted, DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil)
    {
        lock (_gate)
        {
            var claimed = new List<JobRecord>();
            foreach (var job in _jobs.Values.Where(j => wanted(j) && j.DueAt <= now).OrderBy(j => j.DueAt))
            {
                if (claimed.Count >= max)
                {
                    break;
                }

                if (Lease(job.Id, leaseNow, owner, leaseUntil))
                {
                    claimed.Add(job);
                }
            }

            return new(claimed);
        }
    }

    public ValueTask ReleaseJobLeasesAsync(IReadOnlyCollection<Guid> ids, string owner, CancellationToken ct)
    {
        lock (_gate)
        {
            foreach (var id in ids.Where(id => _jobs.ContainsKey(id) && _leases.TryGetValue(id, out var lease) && lease.Owner == owner))
            {
                _leases.Remove(id);
            }

            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<bool> TryTakeLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_namedLeases.TryGetValue(name, out var lease) && lease.Owner != owner && Holds(lease.Until, now))
            {
                return new(false);
            }

            _namedLeases[name] = (owner, until);
            return new(true);
        }
    }

    public ValueTask ProbeWriteAsync(string owner, DateTimeOffset now, CancellationToken ct) => ValueTask.CompletedTask; // memory always takes a write

    // A lease holds up to and including its end (as the SQL stores' "lease_until < @now" frees it).
    private static bool Holds(DateTimeOffset until, DateTimeOffset now) => until >= now;

    // The due rows of a due-time index that no live lease holds, leased, earliest first.
    private List<T> ClaimDue<T>(SortedSet<(DateTimeOffset Due, Guid Id)> index, Dictionary<Guid, T> rows, DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil)
    {
        var due = new List<T>();
        foreach (var (at, id) in index)
        {
            if (at > now || due.Count >= max)
            {
                break;
            }

            if (Lease(id, leaseNow, owner, leaseUntil))
            {
                due.Add(rows[id]);
            }
        }

        return due;
    }

    // The earliest due time of an index that no lease live at now (lease time) holds.
    private DateTimeOffset? NextDue(SortedSet<(DateTimeOffset Due, Guid Id)> index, DateTimeOffset now)
    {
        foreach (var (due, id) in index)
        {
            if (!_leases.TryGetValue(id, out var lease) || !Holds(lease.Until, now))
            {
                return due;
            }
        }

        return null;
    }

    private bool Lease(Guid id, DateTimeOffset now, string owner, DateTimeOffset leaseUntil)
    {
        if (_leases.TryGetValue(id, out var lease) && Holds(lease.Until, now))
        {
            return false;
        }

        _leases[id] = (owner, leaseUntil);
        return true;
    }

    private void ApplySchedules(ChangeSet changes)
    {
        foreach (var j in changes.JobsCreated)
        {
            _jobs[j.Id] = j;
        }

        foreach (var id in changes.JobsClosed)
        {
            _jobs.Remove(id);
            _leases.Remove(id);
        }

        foreach (var t in changes.TimersCreated)
        {
            _timers[t.Id] = t;
            _timersByDue.Add((t.DueAt, t.Id));
        }

        foreach (var id in changes.TimersRemoved)
        {
            RemoveTimer(id);
        }

        if (changes.FiredTimer is { } fired)
        {
            RemoveTimer(fired);
        }
    }

    private void RemoveTimer(Guid id)
    {
        _leases.Remove(id);
        if (_timers.Remove(id, out var timer))
        {
            _timersByDue.Remove((timer.DueAt, id));
        }
    }
}
