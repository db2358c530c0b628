using Workflows.Engine.Calendars;
using Workflows.Engine.Modules;
using Workflows.Engine.Runtime;
using Workflows.Engine.Services;
using Workflows.Engine.Storage;

namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// Service levels plugged into the core: calendars loaded before commands, an instance's open clocks read
/// with it, clocks and satisfaction as lifecycle listeners, the level-1 commitment's due moment on handoffs,
/// and due clocks as the worker's due work. <see cref="WorkflowServiceLevels"/> is its public service.
/// </summary>
internal sealed class ServiceLevelModule(CommandRunner runner) : IEngineModule, IDueWorkSource
{
    private int _calendarsLoaded;
    private DateTimeOffset _nextCalendarRefresh = DateTimeOffset.MinValue;

    private IWorkflowStore Store => runner.Store;

    private WorkflowEngineOptions Options => runner.Options;

    public IDueWorkSource DueWork => this;

    // ---------------------------------------------------------------- calendars

    public Task BeforeCommandAsync(CancellationToken ct) => EnsureCalendarsAsync(ct);

    /// <summary>Loads the calendar versions saved by any node into this node's registry.</summary>
    public async Task RefreshCalendarsAsync(CancellationToken cancellationToken)
    {
        foreach (var json in await Store.GetCalendarLayersAsync(cancellationToken).ConfigureAwait(false))
        {
            Options.Calendars.Add(CalendarLayerJson.Read(json));
        }

        Interlocked.Exchange(ref _calendarsLoaded, 1);
    }

    public Task EnsureCalendarsAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _calendarsLoaded) == 1 ? Task.CompletedTask : RefreshCalendarsAsync(cancellationToken);

    // ---------------------------------------------------------------- an instance's clocks

    private static bool KeepsClocks(LoadedInstance instance) =>
        instance.Definition.Process.HasClocks && instance.State.Status == ProcessInstanceStatus.Active;

    public async ValueTask OnLoadedAsync(LoadedInstance instance, CancellationToken ct)
    {
        if (KeepsClocks(instance))
        {
            _clocksSeen = true;
            var clocks = await Store.GetClocksOfInstancesAsync([instance.Id], openOnly: true, ct).ConfigureAwait(false);
            InstanceClocks.For(instance).Clocks.AddRange(clocks);
        }
    }

    // Whether an instance this engine loaded kept clocks: only then are clocks read with every instance a command loads
    // (on a server, a statement more in the same round trip), so that an engine whose journeys keep none reads none.
    private volatile bool _clocksSeen;

    public bool ReadsOpenClocks => _clocksSeen;

    public ValueTask OnLoadedAsync(LoadedInstance instance, IReadOnlyList<SlaClockRecord> openClocks, CancellationToken ct)
    {
        if (KeepsClocks(instance))
        {
            InstanceClocks.For(instance).Clocks.AddRange(openClocks);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask OnLoadedAsync(IReadOnlyList<LoadedInstance> instances, CancellationToken ct)
    {
        var ids = new List<Guid>();
        foreach (var instance in instances)
        {
            if (KeepsClocks(instance))
            {
                _clocksSeen = true;
                ids.Add(instance.Id);
            }
        }

        if (ids.Count == 0)
        {
            return;
        }

        var clocks = (await Store.GetClocksOfInstancesAsync(ids, openOnly: true, ct).ConfigureAwait(false)).ToLookup(c => c.InstanceId);
        foreach (var instance in instances)
        {
            if (KeepsClocks(instance))
            {
                InstanceClocks.For(instance).Clocks.AddRange(clocks[instance.Id]);
            }
        }
    }

    public IElementLifecycleListener[] CreateListeners(Execution execution) => [new SlaClocks(execution), new Satisfaction(execution)];

    public void OnCancelledUnread(Execution execution, LoadedInstance instance)
    {
        foreach (var listener in execution.Listeners)
        {
            if (listener is SlaClocks clocks)
            {
                clocks.EndAllClocks(instance); // cancelled (or breached, when past their target), each with its history row
            }
        }
    }

    public Handoff OnHandoff(LoadedInstance instance, Handoff handoff)
    {
        var commitment = InstanceClocks.Of(instance).Find(c => c.IsOpen && c.Kind == ClockKind.Commitment && c.Level == 1);
        return commitment is null ? handoff : handoff with { CommitmentDue = commitment.TargetAt };
    }

    public void OnHandoffReceived(Handoff handoff, Dictionary<string, object?> fields) =>
        // As variables are stored: an ISO 8601 string, read in FEEL with date and time(handoff.commitmentDue).
        fields["commitmentDue"] = handoff.CommitmentDue?.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- due clocks

    public async Task ChoresAsync(CancellationToken ct)
    {
        if (runner.Time.GetUtcNow() >= _nextCalendarRefresh)
        {
            await RefreshCalendarsAsync(ct).ConfigureAwait(false); // versions another node saved
            _nextCalendarRefresh = runner.Time.GetUtcNow() + Options.Worker.CalendarRefreshInterval;
        }
    }

    public Task<int> RunDueAsync(CancellationToken ct) => FireDueClocksAsync(Options.Worker.ClockBatchSize, ct);

    public Task<DateTimeOffset?> GetNextDueAsync(CancellationToken ct) =>
        Store.GetNextClockDueAsync(runner.LeaseTime.GetUtcNow(), ct).AsTask();

    /// <summary>Fires the clocks due by now that this node can lease, several instances to a command.</summary>
    public async Task<int> FireDueClocksAsync(int maxClocks, CancellationToken cancellationToken)
    {
        var worker = Options.Worker;
        var (now, leaseNow) = (runner.Time.GetUtcNow(), runner.LeaseTime.GetUtcNow());
        var due = await Store.ClaimDueClocksAsync(now, maxClocks, Options.NodeId, leaseNow, leaseNow + worker.LeaseDuration, cancellationToken).ConfigureAwait(false);
        foreach (var batch in due.Chunk(worker.ClockBatchSize))
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
                    await CommandRunner.IgnoreIfGoneAsync(FireClocksAsync([clock], cancellationToken)).ConfigureAwait(false);
                }
            }
            catch (InstanceStateUnreadableException unreadable)
            {
                await UnreadableInstances.ReportAsync(runner, unreadable, cancellationToken).ConfigureAwait(false); // that instance's incident, not the worker's failure
            }
        }

        return due.Count;
    }

    private async Task FireClocksAsync(IReadOnlyList<SlaClockRecord> clocks, CancellationToken cancellationToken)
    {
        await runner.ExecuteAsync(async execution =>
        {
            execution.Actor = Options.NodeId;
            await execution.PreloadAsync(clocks.Select(c => c.InstanceId).ToList()).ConfigureAwait(false);
            var listener = SlaClocks.Of(execution);
            foreach (var clock in clocks)
            {
                var instance = await execution.LoadAsync(clock.InstanceId).ConfigureAwait(false);
                await listener.FireClockAsync(instance, clock.Id).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken, name: "FireClocks").ConfigureAwait(false);
        var committed = runner.Time.GetUtcNow();
        foreach (var clock in clocks)
        {
            WorkflowsTelemetry.ClockLateness.Record((committed - clock.NextDueAt!.Value).TotalMilliseconds);
        }
    }
}
