namespace Workflows.Engine.Storage;

/// <summary>
/// The in-memory store: the same contract as the database stores, with the same indexes as
/// dictionaries. Instances are kept serialised (their state bytes), as a database keeps them, so a
/// waiting instance costs its few hundred bytes of state rather than a live object graph.
/// </summary>
internal sealed class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, DefinitionRecord> _definitions = [];
    private readonly Dictionary<string, List<DefinitionRecord>> _definitionsByProcess = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, InstanceRecord> _instances = [];
    private readonly Dictionary<Guid, UserTaskRecord> _tasks = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _openTasksByInstance = [];
    private readonly Dictionary<Guid, JobRecord> _jobs = [];
    private readonly Dictionary<Guid, TimerRecord> _timers = [];
    private readonly SortedSet<(DateTimeOffset Due, Guid Id)> _timersByDue = [];
    private readonly Dictionary<Guid, MessageSubscriptionRecord> _messageSubscriptions = [];
    private readonly Dictionary<(string Name, string Key), List<Guid>> _messageSubscriptionsByKey = [];
    private readonly Dictionary<string, List<Guid>> _messageStartsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, SignalSubscriptionRecord> _signalSubscriptions = [];
    private readonly Dictionary<string, List<Guid>> _signalSubscriptionsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, BufferedMessageRecord> _buffered = [];
    private readonly Dictionary<(string Name, string Key), List<Guid>> _bufferedByKey = [];
    private readonly HashSet<(Guid Message, Guid Instance)> _correlations = [];
    private readonly Dictionary<Guid, IncidentRecord> _incidents = [];
    private readonly Dictionary<Guid, List<Guid>> _incidentsByInstance = [];
    private readonly List<OutboxRecord> _outbox = [];
    private readonly HashSet<string> _inbox = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Owner, DateTimeOffset Until)> _namedLeases = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, string> _jobLeaseOwners = [];
    private readonly Dictionary<Guid, List<HistoryRecord>> _history = [];
    private readonly Dictionary<Guid, DateTimeOffset> _leases = [];
    private readonly Dictionary<Guid, SlaClockRecord> _clocks = [];
    private readonly Dictionary<Guid, List<Guid>> _clocksByInstance = [];
    private readonly SortedSet<(DateTimeOffset Due, Guid Id)> _clocksByDue = [];
    private readonly Dictionary<(string Name, DateTimeOffset From), string> _calendarLayers = [];
    private readonly Dictionary<string, (string Json, long Revision)> _branches = new(StringComparer.Ordinal);

    public ValueTask<DefinitionRecord?> GetDefinitionAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitions.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<DefinitionRecord>> GetDefinitionsAsync(string? processId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<DefinitionRecord> all = _definitionsByProcess
                .Where(p => processId is null || p.Key == processId)
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .SelectMany(p => p.Value.Select(d => d with { Xml = "" }))
                .ToList();
            return new(all);
        }
    }

    public ValueTask<DefinitionRecord?> GetLatestDefinitionAsync(string processId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitionsByProcess.TryGetValue(processId, out var list) ? list[^1] : null);
        }
    }

    public ValueTask<DefinitionRecord?> GetDefinitionByVersionAsync(string processId, int version, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitionsByProcess.TryGetValue(processId, out var list) ? list.Find(d => d.Version == version) : null);
        }
    }

    public ValueTask<DefinitionRecord?> GetDefinitionByVersionTagAsync(string processId, string versionTag, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitionsByProcess.TryGetValue(processId, out var list) ? list.FindLast(d => d.VersionTag == versionTag) : null);
        }
    }

    public ValueTask<DefinitionRecord?> GetDefinitionInDeploymentAsync(Guid deploymentId, string processId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_definitionsByProcess.TryGetValue(processId, out var list) ? list.FindLast(d => d.DeploymentId == deploymentId) : null);
        }
    }

    public ValueTask<InstanceRecord?> GetInstanceAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_instances.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<InstanceRecord>> GetInstancesAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<InstanceRecord> found = ids.Distinct().Select(id => _instances.GetValueOrDefault(id)).OfType<InstanceRecord>().ToList();
            return new(found);
        }
    }

    public ValueTask<IReadOnlyList<InstanceRecord>> FindInstancesAsync(InstanceFilter filter, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_instances.Values
                .Where(i => (filter.ProcessId is null || i.ProcessId == filter.ProcessId) && (filter.BusinessKey is null || i.BusinessKey == filter.BusinessKey)
                    && (filter.Branch is null || i.Branch == filter.Branch) && (filter.CustomerId is null || i.CustomerId == filter.CustomerId)
                    && (filter.Status is null || i.Status == filter.Status))
                .OrderByDescending(i => i.Id)
                .Take(filter.Max)
                .ToList());
        }
    }

    public ValueTask<UserTaskRecord?> GetUserTaskAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_tasks.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksAsync(Guid instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<UserTaskRecord> result = _openTasksByInstance.TryGetValue(instanceId, out var ids)
                ? ids.Select(id => _tasks[id]).OrderBy(t => t.CreatedAt).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<UserTaskRecord> result = instanceIds.Distinct()
                .SelectMany(id => _openTasksByInstance.TryGetValue(id, out var ids) ? ids : [])
                .Select(id => _tasks[id])
                .ToList();
            return new(result);
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

    public ValueTask<IReadOnlyList<TimerRecord>> ClaimDueTimersAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(ClaimDue(_timersByDue, _timers, now, max, leaseUntil));
        }
    }

    // The due rows of a due-time index that no live lease holds, leased, earliest first.
    private List<T> ClaimDue<T>(SortedSet<(DateTimeOffset Due, Guid Id)> index, Dictionary<Guid, T> rows, DateTimeOffset now, int max, DateTimeOffset leaseUntil)
    {
        var due = new List<T>();
        foreach (var (at, id) in index)
        {
            if (at > now || due.Count >= max)
            {
                break;
            }

            if (Lease(id, now, leaseUntil))
            {
                due.Add(rows[id]);
            }
        }

        return due;
    }

    // The earliest due time of an index that no live lease holds.
    private DateTimeOffset? NextDue(SortedSet<(DateTimeOffset Due, Guid Id)> index, DateTimeOffset now)
    {
        foreach (var (due, id) in index)
        {
            if (!_leases.TryGetValue(id, out var until) || until <= now)
            {
                return due;
            }
        }

        return null;
    }

    public ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsAsync(IReadOnlyCollection<string> types, DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct) =>
        ClaimJobs(j => types.Contains(j.Type), now, max, owner, leaseUntil);

    public ValueTask<IReadOnlyList<JobRecord>> ClaimDueExternalJobsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct) =>
        ClaimJobs(j => j.External, now, max, owner, leaseUntil);

    private ValueTask<IReadOnlyList<JobRecord>> ClaimJobs(Func<JobRecord, bool> wanted, DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil)
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

                if (Lease(job.Id, now, leaseUntil))
                {
                    _jobLeaseOwners[job.Id] = owner;
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
            foreach (var id in ids.Where(id => _jobLeaseOwners.GetValueOrDefault(id) == owner))
            {
                _leases.Remove(id);
                _jobLeaseOwners.Remove(id);
            }

            return ValueTask.CompletedTask;
        }
    }

    private bool Lease(Guid id, DateTimeOffset now, DateTimeOffset leaseUntil)
    {
        if (_leases.TryGetValue(id, out var until) && until > now)
        {
            return false;
        }

        _leases[id] = leaseUntil;
        return true;
    }

    public ValueTask<TimerRecord?> GetTimerAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_timers.GetValueOrDefault(id));
        }
    }

    public ValueTask<DateTimeOffset?> GetNextTimerDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(NextDue(_timersByDue, now));
        }
    }

    public ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageSubscriptionsAsync(string name, string correlationKey, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<MessageSubscriptionRecord> result = _messageSubscriptionsByKey.TryGetValue((name, correlationKey), out var ids)
                ? ids.Select(id => _messageSubscriptions[id]).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageStartsAsync(string name, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<MessageSubscriptionRecord> result = _messageStartsByName.TryGetValue(name, out var ids)
                ? ids.Select(id => _messageSubscriptions[id]).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<SignalSubscriptionRecord>> FindSignalSubscriptionsAsync(string name, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SignalSubscriptionRecord> result = _signalSubscriptionsByName.TryGetValue(name, out var ids)
                ? ids.Select(id => _signalSubscriptions[id]).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<(IReadOnlyList<TimerRecord> Timers, IReadOnlyList<MessageSubscriptionRecord> Messages, IReadOnlyList<SignalSubscriptionRecord> Signals)> GetStartSubscriptionsAsync(string processId, CancellationToken ct)
    {
        lock (_gate)
        {
            var definitionIds = _definitionsByProcess.TryGetValue(processId, out var list) ? list.Select(d => d.Id).ToHashSet() : [];
            return new((
                _timers.Values.Where(t => t.InstanceId is null && definitionIds.Contains(t.DefinitionId)).ToList(),
                _messageSubscriptions.Values.Where(s => s.InstanceId is null && definitionIds.Contains(s.DefinitionId)).ToList(),
                _signalSubscriptions.Values.Where(s => s.InstanceId is null && definitionIds.Contains(s.DefinitionId)).ToList()));
        }
    }

    public ValueTask<IReadOnlyList<BufferedMessageRecord>> FindBufferedMessagesAsync(string name, string correlationKey, string processId, DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<BufferedMessageRecord> result = _bufferedByKey.TryGetValue((name, correlationKey), out var ids)
                ? ids.Select(id => _buffered[id]).Where(m => m.ExpiresAt > now && !_correlations.Any(c => c.Message == m.Id && _instances.TryGetValue(c.Instance, out var i) && i.ProcessId == processId)).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<bool> IsInInboxAsync(string messageId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_inbox.Contains(messageId));
        }
    }

    public ValueTask<(int Expired, IReadOnlyList<BufferedMessageRecord> Unclaimed)> ExpireBufferedMessagesAsync(DateTimeOffset now, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            var expired = _buffered.Values.Where(m => m.ExpiredAt is null && m.ExpiresAt <= now).OrderBy(m => m.ExpiresAt).Take(max).ToList();
            foreach (var m in expired)
            {
                _buffered[m.Id] = m with { ExpiredAt = now, Unclaimed = !_correlations.Any(c => c.Message == m.Id) };
            }

            IReadOnlyList<BufferedMessageRecord> unclaimed = expired.Select(m => _buffered[m.Id]).Where(m => m.Unclaimed).ToList();
            return new((expired.Count, unclaimed));
        }
    }

    public ValueTask<IReadOnlyList<BufferedMessageRecord>> GetExpiredMessagesAsync(int max, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_buffered.Values.Where(m => m.Unclaimed).OrderByDescending(m => m.ExpiresAt).Take(max).ToList());
        }
    }

    public ValueTask<IncidentRecord?> GetIncidentAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_incidents.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(string? branch, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<IncidentRecord> open = _incidents.Values
                .Where(i => i.ResolvedAt is null && (branch is null || (_instances.TryGetValue(i.InstanceId, out var instance) && instance.Branch == branch)))
                .OrderBy(i => i.CreatedAt)
                .Take(max)
                .ToList();
            return new(open);
        }
    }

    public ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(Guid instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<IncidentRecord> result = _incidentsByInstance.TryGetValue(instanceId, out var ids)
                ? ids.Select(id => _incidents[id]).Where(i => i.ResolvedAt is null).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<HistoryRecord>> GetHistoryAsync(Guid instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_history.TryGetValue(instanceId, out var list) ? list.ToList() : []);
        }
    }

    public ValueTask<IReadOnlyList<OutboxRecord>> GetOutboxAsync(Guid? instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_outbox.Where(o => instanceId is null || o.InstanceId == instanceId).ToList());
        }
    }

    public ValueTask<IReadOnlyList<OutboxRecord>> GetUnpublishedOutboxAsync(int max, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_outbox.Where(o => o.PublishedAt is null).Take(max).ToList());
        }
    }

    public ValueTask MarkOutboxPublishedAsync(IReadOnlyCollection<long> seqs, DateTimeOffset at, CancellationToken ct)
    {
        lock (_gate)
        {
            var published = seqs.ToHashSet();
            for (var i = 0; i < _outbox.Count; i++)
            {
                if (published.Contains(_outbox[i].Seq))
                {
                    _outbox[i] = _outbox[i] with { PublishedAt = at };
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<bool> TryTakeLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_namedLeases.TryGetValue(name, out var lease) && lease.Owner != owner && lease.Until > now)
            {
                return new(false);
            }

            _namedLeases[name] = (owner, until);
            return new(true);
        }
    }

    public Task<long> DeleteHistoryAsync(DateTimeOffset endedBefore, int batchSize, CancellationToken ct)
    {
        lock (_gate)
        {
            long deleted = 0;
            foreach (var instance in _instances.Values.Where(i => i.EndedAt < endedBefore))
            {
                if (_history.Remove(instance.Id, out var rows))
                {
                    deleted += rows.Count;
                }
            }

            return Task.FromResult(deleted);
        }
    }

    public ValueTask CommitAsync(ChangeSet changes, CancellationToken ct)
    {
        lock (_gate)
        {
            // Check every guard before writing anything: a refused commit leaves no trace. Rows are
            // created before rows are removed, so a wait opened and closed by one command leaves nothing.
            foreach (var write in changes.Instances)
            {
                var current = _instances.GetValueOrDefault(write.Record.Id);
                var currentVersion = current?.RowVersion ?? 0;
                if (currentVersion != write.ExpectedRowVersion)
                {
                    throw new ConcurrencyConflictException($"instance {write.Record.Id} changed since it was read (row version {currentVersion}, expected {write.ExpectedRowVersion})");
                }
            }

            if (changes.FiredTimer is { } fired && !_timers.ContainsKey(fired))
            {
                throw new ConcurrencyConflictException($"timer {fired} was fired or closed by another command");
            }

            if (changes.Inbox.Find(m => _inbox.Contains(m.MessageId)) is { MessageId: { } consumed })
            {
                throw new ConcurrencyConflictException($"message {consumed} was consumed by another command");
            }

            foreach (var (id, _, _, expected) in changes.Branches)
            {
                if (expected is { } revision && (_branches.TryGetValue(id, out var stored) ? stored.Revision : 0) != revision)
                {
                    throw new ConcurrencyConflictException($"branch {id} changed since it was read (expected revision {revision})");
                }
            }

            _inbox.UnionWith(changes.Inbox.Select(m => m.MessageId));

            foreach (var d in changes.Definitions)
            {
                _definitions[d.Id] = d;
                if (!_definitionsByProcess.TryGetValue(d.ProcessId, out var list))
                {
                    _definitionsByProcess[d.ProcessId] = list = [];
                }

                list.Add(d);
            }

            foreach (var write in changes.Instances)
            {
                _instances[write.Record.Id] = write.Record;
            }

            foreach (var t in changes.TasksCreated)
            {
                _tasks[t.Id] = t;
                Add(_openTasksByInstance, t.InstanceId, t.Id);
            }

            foreach (var task in changes.TasksUpdated)
            {
                _tasks[task.Id] = task;
            }

            foreach (var (id, state, due) in changes.TaskClocks)
            {
                if (_tasks.TryGetValue(id, out var task))
                {
                    _tasks[id] = task with { SlaState = state, SlaDueAt = due };
                }
            }

            foreach (var (id, status) in changes.TasksClosed)
            {
                if (_tasks.TryGetValue(id, out var task))
                {
                    _tasks[id] = task with { Status = status };
                    if (_openTasksByInstance.TryGetValue(task.InstanceId, out var set))
                    {
                        set.Remove(id);
                    }
                }
            }

            foreach (var j in changes.JobsCreated)
            {
                _jobs[j.Id] = j;
            }

            foreach (var id in changes.JobsClosed)
            {
                _jobs.Remove(id);
                _leases.Remove(id);
                _jobLeaseOwners.Remove(id);
            }

            foreach (var t in changes.TimersCreated)
            {
                _timers[t.Id] = t;
                _timersByDue.Add((t.DueAt, t.Id));
            }

            foreach (var id in changes.TimersRemoved.Append(changes.FiredTimer ?? Guid.Empty))
            {
                _leases.Remove(id);
                if (_timers.Remove(id, out var timer))
                {
                    _timersByDue.Remove((timer.DueAt, id));
                }
            }

            foreach (var s in changes.MessageSubscriptionsCreated)
            {
                _messageSubscriptions[s.Id] = s;
                if (s.InstanceId is null)
                {
                    Add(_messageStartsByName, s.MessageName, s.Id);
                }
                else
                {
                    Add(_messageSubscriptionsByKey, (s.MessageName, s.CorrelationKey ?? ""), s.Id);
                }
            }

            foreach (var id in changes.MessageSubscriptionsRemoved)
            {
                if (_messageSubscriptions.Remove(id, out var s))
                {
                    if (s.InstanceId is null)
                    {
                        _messageStartsByName[s.MessageName].Remove(id);
                    }
                    else
                    {
                        Remove(_messageSubscriptionsByKey, (s.MessageName, s.CorrelationKey ?? ""), id);
                    }
                }
            }

            foreach (var s in changes.SignalSubscriptionsCreated)
            {
                _signalSubscriptions[s.Id] = s;
                Add(_signalSubscriptionsByName, s.SignalName, s.Id);
            }

            foreach (var id in changes.SignalSubscriptionsRemoved)
            {
                if (_signalSubscriptions.Remove(id, out var s))
                {
                    Remove(_signalSubscriptionsByName, s.SignalName, id);
                }
            }

            foreach (var m in changes.MessagesBuffered)
            {
                _buffered[m.Id] = m;
                Add(_bufferedByKey, (m.Name, m.CorrelationKey), m.Id);
            }

            foreach (var c in changes.MessageCorrelations)
            {
                _correlations.Add(c);
            }

            foreach (var i in changes.IncidentsCreated)
            {
                _incidents[i.Id] = i;
                Add(_incidentsByInstance, i.InstanceId, i.Id);
            }

            foreach (var (id, at) in changes.IncidentsResolved)
            {
                if (_incidents.TryGetValue(id, out var incident))
                {
                    _incidents[id] = incident with { ResolvedAt = at };
                }
            }

            foreach (var clock in changes.ClocksCreated.Concat(changes.ClocksUpdated))
            {
                if (_clocks.TryGetValue(clock.Id, out var previous) && previous.NextDueAt is { } was)
                {
                    _clocksByDue.Remove((was, clock.Id));
                }
                else if (previous is null)
                {
                    Add(_clocksByInstance, clock.InstanceId, clock.Id);
                }

                _clocks[clock.Id] = clock;
                _leases.Remove(clock.Id);
                if (clock.NextDueAt is { } due)
                {
                    _clocksByDue.Add((due, clock.Id));
                }
            }

            foreach (var (name, from, json) in changes.CalendarLayers)
            {
                _calendarLayers[(name, from)] = json;
            }

            foreach (var (id, json, revision, _) in changes.Branches)
            {
                _branches[id] = (json, revision);
            }

            foreach (var o in changes.Outbox)
            {
                _outbox.Add(o with { Seq = _outbox.Count + 1 });
            }
            foreach (var h in changes.History)
            {
                if (!_history.TryGetValue(h.InstanceId, out var list))
                {
                    _history[h.InstanceId] = list = [];
                }

                list.Add(h);
            }
        }

        return ValueTask.CompletedTask;
    }

    // ---------------------------------------------------------------- queues

    public ValueTask<IReadOnlyList<UserTaskRecord>> QueryTasksAsync(TaskQuery query, TaskSortKey? after, int limit, CancellationToken ct)
    {
        lock (_gate)
        {
            var columns = TaskSortKey.Columns(query.Sort);
            IReadOnlyList<UserTaskRecord> page = _openTasksByInstance.Values.SelectMany(ids => ids)
                .Select(id => _tasks[id])
                .Where(t => TaskFilter.Matches(query, t) && (after is not { } a || Compare(TaskSortKey.Of(t), a, columns) > 0))
                .Order(Comparer<UserTaskRecord>.Create((x, y) => Compare(TaskSortKey.Of(x), TaskSortKey.Of(y), columns)))
                .Take(limit)
                .ToList();
            return new(page);
        }
    }

    private static int Compare(TaskSortKey x, TaskSortKey y, string[] columns)
    {
        foreach (var column in columns)
        {
            var c = Comparer<object>.Default.Compare(x.Value(column), y.Value(column));
            if (c != 0)
            {
                return c;
            }
        }

        return x.Id.CompareTo(y.Id);
    }

    // ---------------------------------------------------------------- clocks

    public ValueTask<IReadOnlyList<SlaClockRecord>> ClaimDueClocksAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(ClaimDue(_clocksByDue, _clocks, now, max, leaseUntil));
        }
    }

    public ValueTask<DateTimeOffset?> GetNextClockDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(NextDue(_clocksByDue, now));
        }
    }

    public ValueTask<IReadOnlyList<SlaClockRecord>> FindOpenClocksOnLayerAsync(string layer, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SlaClockRecord> clocks = _clocks.Values
                .Where(c => c.IsOpen && c.Calendar is { } chain && Calendars.ClockCalendar.Split(chain).Contains(layer, StringComparer.Ordinal))
                .ToList();
            return new(clocks);
        }
    }

    public ValueTask<IReadOnlyList<SlaClockRecord>> FindCommitmentsAsync(string? branch, string? processId, DateTimeOffset from, DateTimeOffset to, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SlaClockRecord> clocks = _clocks.Values
                .Where(c => c.Level == 1 && c.Kind == Model.ClockKind.Commitment && c.StartedAt >= from && c.StartedAt < to
                    && (branch is null || c.Branch == branch) && (processId is null || c.ProcessId == processId))
                .OrderBy(c => c.StartedAt)
                .Take(max)
                .ToList();
            return new(clocks);
        }
    }

    public ValueTask<IReadOnlyList<SlaClockRecord>> GetClocksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, bool openOnly, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SlaClockRecord> clocks = instanceIds.Distinct()
                .SelectMany(id => _clocksByInstance.TryGetValue(id, out var ids) ? ids : [])
                .Select(id => _clocks[id])
                .Where(c => !openOnly || c.IsOpen)
                .ToList();
            return new(clocks);
        }
    }

    public ValueTask<IReadOnlyList<string>> GetCalendarLayersAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<string> layers = _calendarLayers.OrderBy(l => l.Key.From).Select(l => l.Value).ToList();
            return new(layers);
        }
    }

    public ValueTask<IReadOnlyList<(string Json, long Revision)>> GetBranchesAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<(string, long)> branches = _branches.Values.ToList();
            return new(branches);
        }
    }

    public ValueTask<(string Json, long Revision)?> GetBranchAsync(string id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_branches.TryGetValue(id, out var branch) ? branch : null);
        }
    }

    private static void Add<TKey>(Dictionary<TKey, List<Guid>> index, TKey key, Guid id)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }

        list.Add(id);
    }

    private static void Add<TKey>(Dictionary<TKey, HashSet<Guid>> index, TKey key, Guid id)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var set))
        {
            index[key] = set = [];
        }

        set.Add(id);
    }

    private static void Remove<TKey>(Dictionary<TKey, List<Guid>> index, TKey key, Guid id)
        where TKey : notnull
    {
        if (index.TryGetValue(key, out var list))
        {
            list.Remove(id);
            if (list.Count == 0)
            {
                index.Remove(key);
            }
        }
    }
}
