using Workflows.Engine.Calendars;
using Workflows.Engine.Runtime;
using Workflows.Engine.ServiceLevels;
using Workflows.Engine.Storage;

// The namespace is the public types', not the folder's: users' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine.Services;

/// <summary>Service levels: instances' SLA and commitment clocks, the calendars they run on, and the service report.</summary>
/// <remarks>
/// Clocks start and stop with the steps the model puts them on; this service pauses and resumes them for people,
/// moves them when a calendar changes and reads them with their time left computed now. Warnings and breaches are
/// fired by the background worker (<see cref="WorkflowWorker.FireDueClocksAsync"/>). A calendar version saved here
/// is loaded by every node's worker within <see cref="WorkflowWorkerOptions.CalendarRefreshInterval"/>.
/// </remarks>
public sealed class WorkflowServiceLevels
{
    private readonly CommandRunner _runner;

    internal WorkflowServiceLevels(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    private WorkflowEngineOptions Options => _runner.Options;

    private ServiceLevelModule Module => _runner.Core.Module<ServiceLevelModule>();

    /// <summary>An instance's clocks, each with its time left computed now.</summary>
    public async Task<IReadOnlyList<SlaClockInfo>> GetClocksAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        await Module.EnsureCalendarsAsync(cancellationToken).ConfigureAwait(false);
        var clocks = await Store.GetClocksOfInstancesAsync([instanceId], openOnly: false, cancellationToken).ConfigureAwait(false);
        var now = _runner.Time.GetUtcNow();
        return clocks.Select(c => ClockInfos.ToInfo(Options, c, now)).ToList();
    }

    /// <summary>
    /// Pauses an instance's running clocks (the customer must answer first); the paused time is recorded and
    /// does not count against the budgets.
    /// </summary>
    /// <returns>How many clocks were paused.</returns>
    /// <exception cref="WorkflowInputException">The reason is not in <see cref="WorkflowEngineOptions.PauseReasons"/>.</exception>
    /// <exception cref="WorkflowConflictException">The instance has ended.</exception>
    public Task<int> PauseClocksAsync(Guid instanceId, string reason, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (!Options.PauseReasons.Contains(reason))
        {
            throw new WorkflowInputException($"'{reason}' is not a pause reason; the catalogue has {string.Join(", ", Options.PauseReasons.Order(StringComparer.Ordinal))}");
        }

        return ClockCommandAsync(instanceId, actor, (execution, instance) =>
        {
            var running = InstanceClocks.Of(instance).Where(c => c.IsOpen && c.RunningSince is not null).ToList();
            running.ForEach(clock => SlaClocks.Of(execution).Pause(instance, clock, reason, 0));
            return running.Count;
        }, "PauseClocks", cancellationToken);
    }

    /// <summary>Resumes the clocks a person paused (not those a waiting step holds).</summary>
    /// <returns>How many clocks were resumed.</returns>
    /// <exception cref="WorkflowConflictException">The instance has ended.</exception>
    public Task<int> ResumeClocksAsync(Guid instanceId, string? actor = null, CancellationToken cancellationToken = default) =>
        ClockCommandAsync(instanceId, actor, (execution, instance) =>
        {
            var paused = InstanceClocks.Of(instance).Where(c => c.IsOpen && c.PausedBy == 0).ToList();
            paused.ForEach(clock => SlaClocks.Of(execution).Resume(instance, clock));
            return paused.Count;
        }, "ResumeClocks", cancellationToken);

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

        // Checked before anything is written: a week with no working time would fail every clock on the chain (named with
        // the moment it closes); a layer no chain uses yet is refused for its own closed week.
        await RefuseClosedWeekAsync(layer, await Store.FindOpenClocksOnLayerAsync(layer.Name, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

        if (Enum.GetValues<DayOfWeek>().All(day => layer.Week.TryGetValue(day, out var hours) && hours.Count == 0))
        {
            // Every chain it ends would have no working time: no clock on it could ever be due.
            throw new WorkflowInputException($"calendar layer '{layer.Name}': its week has no working time on any day, so a clock on it could never end; give at least one day working hours");
        }

        // The layer and every running clock it moves commit in one command: a save that fails leaves neither (review13
        // F13). This node's registry holds the layer while the command runs, as the recalculation reads it; a failed
        // command takes it out again.
        var json = CalendarLayerJson.Write(layer);
        var why = $"calendar {layer.Name} changed from {layer.EffectiveFrom:O}";
        var replaced = Options.Calendars.Replace(layer);
        try
        {
            return await _runner.ExecuteAsync(async execution =>
            {
                execution.Actor = actor;
                execution.Changes.PartToFill<ServiceLevelChanges>().CalendarLayers.Add((layer.Name, layer.EffectiveFrom, json));
                var count = 0;
                foreach (var group in (await Store.FindOpenClocksOnLayerAsync(layer.Name, cancellationToken).ConfigureAwait(false)).GroupBy(c => c.InstanceId))
                {
                    // An instance whose state cannot be read is passed over (its incident is raised after the commit):
                    // the layer is saved, and the branch's other clocks move with it.
                    if (await execution.Unit.TryLoadAsync(group.Key).ConfigureAwait(false) is not { } instance)
                    {
                        continue;
                    }

                    var ids = group.Select(c => c.Id).ToHashSet();
                    foreach (var clock in InstanceClocks.Of(instance).Where(c => ids.Contains(c.Id)).ToList())
                    {
                        count += SlaClocks.Of(execution).TryRecalculate(instance, clock, why) ? 1 : 0;
                    }
                }

                return count;
            }, cancellationToken, name: "ChangeCalendar").ConfigureAwait(false);
        }
        catch
        {
            Options.Calendars.Undo(layer, replaced);
            throw;
        }
    }

    // The chains the layer is part of: the branches' and the running clocks'. A chain a caller is about to give the
    // layer (a branch's first own layer) is not known here; the host checks it with the same rule.
    private async Task RefuseClosedWeekAsync(CalendarLayer layer, IReadOnlyList<SlaClockRecord> clocks, CancellationToken cancellationToken)
    {
        await Module.EnsureCalendarsAsync(cancellationToken).ConfigureAwait(false); // versions another node saved count too
        var branches = await Store.GetBranchesAsync(cancellationToken).ConfigureAwait(false);
        var chains = branches.Select(b => Pins.Read(b.Json, b.Revision).Calendar).Concat(clocks.Select(c => c.Calendar))
            .OfType<string>().Distinct(StringComparer.Ordinal).Select(ClockCalendar.Split)
            .Where(chain => chain.Contains(layer.Name, StringComparer.Ordinal));
        foreach (var chain in chains)
        {
            RefuseClosedWeek(chain, layer);
        }
    }

    /// <summary>
    /// Refuses <paramref name="layer"/> when, saved, it would leave <paramref name="chain"/> (layers top first) no working
    /// time in its week at some moment: <see cref="ChangeCalendarAsync"/> checks the chains it knows; a caller about to add
    /// the layer to a chain checks that one first.
    /// </summary>
    /// <exception cref="WorkflowInputException">From some moment the chain's week would have no working time.</exception>
    public void RefuseClosedWeek(IReadOnlyList<string> chain, CalendarLayer layer)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(layer);
        if (Options.Calendars.FirstClosedWeek(chain, layer) is { } at)
        {
            var from = at == DateTimeOffset.MinValue ? "" : $" from {at:O}";
            throw new WorkflowInputException($"calendar layer '{layer.Name}' leaves the calendar {string.Join("/", chain)} no working time in its week{from}: a clock on it could never end; give at least one day working hours");
        }
    }

    /// <summary>Every saved version of the calendar layer <paramref name="name"/>, oldest first, as the store holds them now.</summary>
    /// <remarks>Read from the store, not this node's registry: a version another node saved a moment ago is included.</remarks>
    /// <returns>The versions, or an empty list when no layer has that name.</returns>
    public async Task<IReadOnlyList<CalendarLayer>> GetCalendarLayerAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var layers = await Store.GetCalendarLayersAsync(cancellationToken).ConfigureAwait(false);
        return layers.Select(CalendarLayerJson.Read).Where(l => l.Name == name).OrderBy(l => l.EffectiveFrom).ToList();
    }

    /// <summary>Loads the calendar versions other nodes saved; the worker calls it now and then, commands once.</summary>
    public Task RefreshCalendarsAsync(CancellationToken cancellationToken = default) => Module.RefreshCalendarsAsync(cancellationToken);

    /// <summary>
    /// The watermelon report: for instances whose level-1 commitment started in [<paramref name="from"/>,
    /// <paramref name="to"/>), of a branch and journey if given, the end-to-end commitment beside each step's
    /// clock, flagging those red end to end while every finished step met its own budget.
    /// </summary>
    /// <exception cref="WorkflowInputException">The period is empty, or <paramref name="max"/> is not from 1 to 10,000.</exception>
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

        await Module.EnsureCalendarsAsync(cancellationToken).ConfigureAwait(false);
        var now = _runner.Time.GetUtcNow();
        var commitments = await Store.FindCommitmentsAsync(branch, processId, from, to, max, cancellationToken).ConfigureAwait(false);
        var clocks = (await Store.GetClocksOfInstancesAsync(commitments.Select(c => c.InstanceId).Distinct().ToList(), openOnly: false, cancellationToken).ConfigureAwait(false))
            .ToLookup(c => c.InstanceId);
        var rows = new List<ServiceReportRow>();
        foreach (var commitment in commitments)
        {
            var endToEnd = ClockInfos.ToInfo(Options, commitment, now);
            var steps = clocks[commitment.InstanceId].Where(c => c.Id != commitment.Id).OrderBy(c => c.StartedAt).Select(c => ClockInfos.ToInfo(Options, c, now)).ToList();
            var finished = steps.Where(s => s.State is SlaState.Met or SlaState.Breached).ToList();
            var red = endToEnd.State is SlaState.Breached or SlaState.Warning;
            rows.Add(new ServiceReportRow(commitment.InstanceId, commitment.BusinessKey, commitment.Branch, commitment.ProcessId, endToEnd, steps,
                Watermelon: red && finished.Count > 0 && finished.All(s => s.State == SlaState.Met)));
        }

        return rows;
    }

    /// <summary>Fires the clocks due by now that this node can lease, several instances to a command.</summary>
    internal Task<int> FireDueClocksAsync(int maxClocks, CancellationToken cancellationToken) => Module.FireDueClocksAsync(maxClocks, cancellationToken);

    internal Task<DateTimeOffset?> GetNextClockDueAsync(CancellationToken cancellationToken) => Module.GetNextDueAsync(cancellationToken);

    private Task<int> ClockCommandAsync(Guid instanceId, string? actor, Func<Execution, LoadedInstance, int> change, string name, CancellationToken cancellationToken) =>
        _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = actor;
            var instance = await execution.LoadAsync(instanceId).ConfigureAwait(false);
            if (instance.State.Status != ProcessInstanceStatus.Active)
            {
                throw new WorkflowConflictException($"process instance {instanceId} is {instance.State.Status.ToString().ToLowerInvariant()}; its clocks have ended");
            }

            return change(execution, instance);
        }, cancellationToken, name: name);
}
