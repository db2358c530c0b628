using System.Text.Json;
using Workflows.Engine.Calendars;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine;

// Agents' queues, SLA clocks, calendars and the service report: the commands and reads that keep the
// promise made to the customer. Every change still goes through ExecuteAsync, on its instances.
public sealed partial class WorkflowEngine
{
    private int _calendarsLoaded;

    // ---------------------------------------------------------------- queues

    /// <summary>A page of open tasks: an agent's queues, a supervisor's branch, a customer's requests.</summary>
    /// <exception cref="WorkflowInputException">The page size is out of range, or the cursor is not one of this order.</exception>
    public async Task<TaskPage> QueryTasksAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.PageSize is < 1 or > 500)
        {
            throw new WorkflowInputException($"the page size must be from 1 to 500, not {query.PageSize}");
        }

        var after = query.Cursor is null ? (TaskSortKey?)null : TaskSortKey.FromCursor(query.Cursor, query.Sort);
        var rows = await Store.QueryTasksAsync(query, after, query.PageSize + 1, cancellationToken).ConfigureAwait(false);
        var page = rows.Take(query.PageSize).ToList();
        var next = rows.Count > query.PageSize ? TaskSortKey.Of(page[^1]).ToCursor(query.Sort) : null;
        return new TaskPage(page.Select(ToInfo).ToList(), next);
    }

    /// <summary>
    /// Claims the best unclaimed task of <paramref name="queues"/> (and of those offered to the user by name)
    /// for <paramref name="user"/>: breached first, then least SLA time left, then priority, then age.
    /// Agents pulling at once each get a different task.
    /// </summary>
    /// <param name="user">Who claims.</param>
    /// <param name="queues">The agent's queues.</param>
    /// <param name="branch">Only tasks of this branch, when given (an agent of one branch).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The claimed task, or null when the queues are empty.</returns>
    public async Task<UserTaskInfo?> ClaimNextTaskAsync(string user, IReadOnlyList<string> queues, string? branch = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentNullException.ThrowIfNull(queues);
        var query = new TaskQuery { Queues = queues, CandidateUser = user, Unassigned = true, Sort = TaskSort.SlaTimeLeft, Branch = branch };
        for (var round = 0; ; round++)
        {
            if (round == 100)
            {
                // Each round loses every candidate only to other agents' claims; so many in a row means a
                // crowd far larger than the queue's head, or tasks that cannot be claimed: say so.
                throw new WorkflowConflictException($"no task of {string.Join(", ", queues)} could be claimed in {round} tries; try again");
            }

            var candidates = (await Store.QueryTasksAsync(query, null, 8, cancellationToken).ConfigureAwait(false)).ToList();
            if (candidates.Count == 0)
            {
                return null;
            }

            // The best first. Agents pulling at the same moment all want it and one wins; a loser then
            // tries the others from a random one on, so the crowd spreads over the top of the queue
            // instead of queueing up behind each next-best task in turn.
            var start = 0;
            for (var tried = 0; tried < candidates.Count; tried++)
            {
                var candidate = candidates[(start + tried) % candidates.Count];
                if (await TryClaimAsync(candidate.Id, user, cancellationToken).ConfigureAwait(false) is { } claimed)
                {
                    return claimed;
                }

                if (tried == 0 && candidates.Count > 1)
                {
                    start = Random.Shared.Next(1, candidates.Count) - 1; // the next step adds one
                }
            }
        }
    }

    private async Task<UserTaskInfo?> TryClaimAsync(Guid taskId, string user, CancellationToken cancellationToken)
    {
        // A row read is cheaper than a command that loads the instance only to find the task taken.
        if (await Store.GetUserTaskAsync(taskId, cancellationToken).ConfigureAwait(false) is not { Status: Storage.TaskStatus.Open, Assignee: null })
        {
            return null;
        }

        try
        {
            return ToInfo(await UpdateTaskAsync(taskId, user, "task-claimed", "next task", task => task.Assignee is null
                ? task with { Assignee = user }
                : throw new WorkflowConflictException($"user task {task.Id} is already claimed by {task.Assignee}"), cancellationToken).ConfigureAwait(false));
        }
        catch (WorkflowException e) when (e is WorkflowConflictException or WorkflowNotFoundException)
        {
            return null;
        }
    }

    internal static UserTaskInfo ToInfo(UserTaskRecord t) =>
        new(t.Id, t.InstanceId, t.ElementId, t.Name, t.BusinessKey, t.Assignee, t.CandidateGroups, t.CandidateUsers, t.Priority, t.DueDate, t.FollowUpDate, t.CreatedAt)
        {
            ProcessId = t.ProcessId,
            Journey = t.Journey,
            CustomerId = t.CustomerId,
            Branch = t.Branch,
            SlaState = t.SlaState,
            SlaDueAt = t.SlaDueAt,
            Form = t.FormJson is null ? [] : JsonSerializer.Deserialize<List<TaskFormField>>(t.FormJson, s_formJson) ?? [],
        };

    private static readonly JsonSerializerOptions s_formJson = new() { PropertyNameCaseInsensitive = true };

    // ---------------------------------------------------------------- clocks

    /// <summary>An instance's clocks, each with its time left computed now.</summary>
    public async Task<IReadOnlyList<SlaClockInfo>> GetClocksAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        await EnsureCalendarsAsync(cancellationToken).ConfigureAwait(false);
        var clocks = await Store.GetClocksOfInstancesAsync([instanceId], openOnly: false, cancellationToken).ConfigureAwait(false);
        var now = _core.Time.GetUtcNow();
        return clocks.Select(c => ToInfo(c, now)).ToList();
    }

    private SlaClockInfo ToInfo(SlaClockRecord c, DateTimeOffset now)
    {
        var used = c.ConsumedTicks + (c.RunningSince is { } since ? Execution.Measure(_core.Options, c, since, now).Ticks : 0);
        var remaining = TimeSpan.FromTicks(c.BudgetTicks - used);
        var paused = TimeSpan.FromTicks(c.PausedTicks) + (c.PausedAt is { } pausedAt ? now - pausedAt : TimeSpan.Zero);

        // Between the breach moment and the worker firing it, a read already says what is true.
        var state = c.IsOpen && c.State is SlaState.Running or SlaState.Warning && remaining < TimeSpan.Zero ? SlaState.Breached : c.State;
        return new SlaClockInfo(c.Id, c.InstanceId, c.ElementId, c.Kind == ClockKind.Sla ? "sla" : "commitment", c.Level, c.Label, state, c.Target,
            c.Calendar, c.StartedAt, c.TargetAt, remaining, paused, c.PauseReason, c.EndedAt);
    }

    /// <summary>
    /// Pauses an instance's running clocks (the customer must answer first); the paused time is recorded and
    /// does not count against the budgets.
    /// </summary>
    /// <returns>How many clocks were paused.</returns>
    /// <exception cref="WorkflowInputException">The reason is not in <see cref="WorkflowEngineOptions.PauseReasons"/>.</exception>
    public Task<int> PauseClocksAsync(Guid instanceId, string reason, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (!_core.Options.PauseReasons.Contains(reason))
        {
            throw new WorkflowInputException($"'{reason}' is not a pause reason; the catalogue has {string.Join(", ", _core.Options.PauseReasons.Order(StringComparer.Ordinal))}");
        }

        return ClockCommandAsync(instanceId, actor, (execution, instance) =>
        {
            var running = instance.Clocks.Where(c => c.IsOpen && c.RunningSince is not null).ToList();
            running.ForEach(clock => execution.Pause(instance, clock, reason, 0));
            return running.Count;
        }, cancellationToken);
    }

    /// <summary>Resumes the clocks a person paused (not those a waiting step holds).</summary>
    /// <returns>How many clocks were resumed.</returns>
    public Task<int> ResumeClocksAsync(Guid instanceId, string? actor = null, CancellationToken cancellationToken = default) =>
        ClockCommandAsync(instanceId, actor, (execution, instance) =>
        {
            var paused = instance.Clocks.Where(c => c.IsOpen && c.PausedBy == 0).ToList();
            paused.ForEach(clock => execution.Resume(instance, clock));
            return paused.Count;
        }, cancellationToken);

    private Task<int> ClockCommandAsync(Guid instanceId, string? actor, Func<Execution, LoadedInstance, int> change, CancellationToken cancellationToken) =>
        ExecuteAsync(async execution =>
        {
            execution.Actor = actor;
            var instance = await execution.LoadAsync(instanceId).ConfigureAwait(false);
            if (instance.State.Status != ProcessInstanceStatus.Active)
            {
                throw new WorkflowConflictException($"process instance {instanceId} is {instance.State.Status.ToString().ToLowerInvariant()}; its clocks have ended");
            }

            return change(execution, instance);
        }, cancellationToken);

    /// <summary>
    /// Fires the clocks due by now that this node can lease: warnings, breaches and repeated escalations.
    /// Several instances share a command, so a burst of due clocks costs few transactions.
    /// </summary>
    /// <returns>How many clocks were fired.</returns>
    public async Task<int> FireDueClocksAsync(int maxClocks = 1000, CancellationToken cancellationToken = default)
    {
        var options = _core.Options;
        var now = _core.Time.GetUtcNow();
        var due = await Store.ClaimDueClocksAsync(now, maxClocks, options.NodeId, now + options.LeaseDuration, cancellationToken).ConfigureAwait(false);
        foreach (var batch in due.Chunk(options.ClockBatchSize))
        {
            try
            {
                await FireClocksAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (WorkflowException) when (batch.Length > 1)
            {
                // One instance kept losing races: the others should not wait for it.
                foreach (var clock in batch)
                {
                    await IgnoreIfGoneAsync(FireClocksAsync([clock], cancellationToken)).ConfigureAwait(false);
                }
            }
        }

        return due.Count;
    }

    private async Task FireClocksAsync(IReadOnlyList<SlaClockRecord> clocks, CancellationToken cancellationToken)
    {
        await ExecuteAsync(async execution =>
        {
            execution.Actor = _core.Options.NodeId;
            await execution.PreloadAsync(clocks.Select(c => c.InstanceId).ToList()).ConfigureAwait(false);
            foreach (var clock in clocks)
            {
                var instance = await execution.LoadAsync(clock.InstanceId).ConfigureAwait(false);
                await execution.FireClockAsync(instance, clock.Id).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken, name: "FireClocks").ConfigureAwait(false);
        var committed = _core.Time.GetUtcNow();
        foreach (var clock in clocks)
        {
            WorkflowsTelemetry.ClockLateness.Record((committed - clock.NextDueAt!.Value).TotalMilliseconds);
        }
    }

    /// <summary>When the next clock is due, if any.</summary>
    public Task<DateTimeOffset?> GetNextClockDueAsync(CancellationToken cancellationToken = default) =>
        Store.GetNextClockDueAsync(_core.Time.GetUtcNow(), cancellationToken).AsTask();

    // ---------------------------------------------------------------- calendars

    /// <summary>
    /// Saves a version of a calendar layer (a new holiday, changed opening hours) and moves every running
    /// clock on it from the version's effective time on; finished clocks are never touched.
    /// </summary>
    /// <returns>How many running clocks were recalculated.</returns>
    /// <exception cref="WorkflowInputException">The layer names an unknown time zone or is otherwise unusable.</exception>
    public async Task<int> ChangeCalendarAsync(CalendarLayer layer, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            throw new WorkflowInputException($"calendar layer '{layer.Name}': '{zone}' is not a known time zone");
        }

        var json = CalendarLayerJson.Write(layer);
        await ExecuteAsync(execution =>
        {
            execution.Changes.CalendarLayers.Add((layer.Name, layer.EffectiveFrom, json));
            return ValueTask.FromResult(true);
        }, cancellationToken, runTokens: false).ConfigureAwait(false);
        _core.Options.Calendars.Add(layer);

        var why = $"calendar {layer.Name} changed from {layer.EffectiveFrom:O}";
        var recalculated = 0;
        var clocks = await Store.FindOpenClocksOnLayerAsync(layer.Name, cancellationToken).ConfigureAwait(false);
        foreach (var batch in clocks.GroupBy(c => c.InstanceId).Chunk(_core.Options.ClockBatchSize))
        {
            recalculated += await ExecuteAsync(async execution =>
            {
                execution.Actor = actor;
                var count = 0;
                foreach (var group in batch)
                {
                    var instance = await execution.LoadAsync(group.Key).ConfigureAwait(false);
                    var ids = group.Select(c => c.Id).ToHashSet();
                    foreach (var clock in instance.Clocks.Where(c => ids.Contains(c.Id)).ToList())
                    {
                        execution.Recalculate(instance, clock, why);
                        count++;
                    }
                }

                return count;
            }, cancellationToken).ConfigureAwait(false);
        }

        return recalculated;
    }

    /// <summary>Loads the calendar versions other nodes saved; the worker calls it now and then, commands once.</summary>
    public async Task RefreshCalendarsAsync(CancellationToken cancellationToken = default)
    {
        foreach (var json in await Store.GetCalendarLayersAsync(cancellationToken).ConfigureAwait(false))
        {
            _core.Options.Calendars.Add(CalendarLayerJson.Read(json));
        }

        Interlocked.Exchange(ref _calendarsLoaded, 1);
    }

    private Task EnsureCalendarsAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _calendarsLoaded) == 1 ? Task.CompletedTask : RefreshCalendarsAsync(cancellationToken);

    // ---------------------------------------------------------------- the service report

    /// <summary>
    /// The watermelon report: for instances whose level-1 commitment started in [<paramref name="from"/>,
    /// <paramref name="to"/>), of a branch and journey if given, the end-to-end commitment beside each step's
    /// clock, flagging those red end to end while every finished step met its own budget.
    /// </summary>
    public async Task<IReadOnlyList<ServiceReportRow>> GetServiceReportAsync(DateTimeOffset from, DateTimeOffset to, string? branch = null, string? processId = null, int max = 1000, CancellationToken cancellationToken = default)
    {
        if (to <= from)
        {
            throw new WorkflowInputException($"the report's period must end after it starts ({from:O} – {to:O})");
        }

        if (max is < 1 or > 10_000)
        {
            throw new WorkflowInputException($"a report lists 1 to 10,000 instances, not {max}");
        }

        await EnsureCalendarsAsync(cancellationToken).ConfigureAwait(false);
        var now = _core.Time.GetUtcNow();
        var commitments = await Store.FindCommitmentsAsync(branch, processId, from, to, max, cancellationToken).ConfigureAwait(false);
        var clocks = (await Store.GetClocksOfInstancesAsync(commitments.Select(c => c.InstanceId).Distinct().ToList(), openOnly: false, cancellationToken).ConfigureAwait(false))
            .ToLookup(c => c.InstanceId);
        var rows = new List<ServiceReportRow>();
        foreach (var commitment in commitments)
        {
            var endToEnd = ToInfo(commitment, now);
            var steps = clocks[commitment.InstanceId].Where(c => c.Id != commitment.Id).OrderBy(c => c.StartedAt).Select(c => ToInfo(c, now)).ToList();
            var finished = steps.Where(s => s.State is SlaState.Met or SlaState.Breached).ToList();
            var red = endToEnd.State is SlaState.Breached or SlaState.Warning;
            rows.Add(new ServiceReportRow(commitment.InstanceId, commitment.BusinessKey, commitment.Branch, commitment.ProcessId, endToEnd, steps,
                Watermelon: red && finished.Count > 0 && finished.All(s => s.State == SlaState.Met)));
        }

        return rows;
    }
}

