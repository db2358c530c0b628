using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// Instances whose stored state cannot be read, met by any command: each becomes one open incident on the instance
/// (element key 0: the instance as a whole) naming what is wrong, which the operations pages and the API list; its
/// jobs and timers are parked (<see cref="IParkingStore"/>) until the incident is resolved, and every other instance
/// goes on.
/// </summary>
/// <remarks>
/// Nothing of the instance's own row is written: it stays as it is for an operator to repair. Its jobs and timers are
/// no longer handed to a worker or fired (each would be met, refused and leased again after every lease, for ever).
/// Resolving the incident after the repair reads the state again, gives them back and closes it.
/// </remarks>
internal static class UnreadableInstances
{
    /// <summary>The element key of an incident that stands for the instance's unreadable state.</summary>
    public const long StateIncidentKey = IncidentRecord.InstanceStateKey;

    /// <summary>Who holds the parked work of an unreadable instance.</summary>
    public const string ParkingHolder = "unreadable-state";

    public static async Task ReportAsync(CommandRunner runner, InstanceStateUnreadableException unreadable, CancellationToken ct)
    {
        var store = runner.Store;
        await store.ParkInstanceWorkAsync(unreadable.InstanceId, ParkingHolder, ct).ConfigureAwait(false);
        if (await HasStateIncidentAsync(store, unreadable.InstanceId, ct).ConfigureAwait(false)
            || await store.GetInstanceAsync(unreadable.InstanceId, ct).ConfigureAwait(false) is not { } record)
        {
            return; // one incident per instance, however often and by whatever its state is met
        }

        var raised = await runner.ExecuteAsync(async execution =>
        {
            // Read in the command: when two commands meet the instance at once, the store refuses the second incident
            // (CommitGuards) and its command, run again, finds the first one's here.
            if (await HasStateIncidentAsync(store, record.Id, ct).ConfigureAwait(false))
            {
                return false;
            }

            var now = execution.Now;
            execution.Changes.IncidentsCreated.Add(new IncidentRecord(RowIds.NewId(now), record.Id, StateIncidentKey, record.ProcessId, unreadable.Message, now, null));
            execution.Changes.History.Add(new HistoryRecord(record.Id, now, HistoryKind.IncidentRaised.Value, record.ProcessId, StateIncidentKey, execution.Actor, unreadable.Message));
            return true;
        }, ct, runTokens: false, name: "ReportUnreadableInstance").ConfigureAwait(false);
        if (raised)
        {
            runner.Core.Log.Unreadable(unreadable.InstanceId, unreadable.Reason);
        }
    }

    private static async ValueTask<bool> HasStateIncidentAsync(IWorkflowStore store, Guid instanceId, CancellationToken ct) =>
        (await store.GetOpenIncidentsAsync(instanceId, ct).ConfigureAwait(false)).Any(i => i.ElementKey == StateIncidentKey);

    /// <summary>
    /// Cancels an instance whose stored state cannot be read, by what its rows say, in the command's one commit: its open
    /// tasks are cancelled, its jobs, timers and message and signal subscriptions removed (parked ones too), its service
    /// clocks ended by their module, its open incidents resolved, a message start's lock on its key released, and its
    /// row marked cancelled (the stored state kept as it was, for whoever wants to look at it). The history's
    /// <c>instance-cancelled</c> row names the actor, as for any cancel. The instances it called (found by their rows'
    /// caller) are terminated with it, as a readable caller's cancel terminates them: each readable one as usual (its own
    /// called instances with it), each unreadable one by its rows in the same way.
    /// </summary>
    /// <remarks>
    /// Nothing of the state is known, so nothing is run: no compensation, no end listener.
    /// </remarks>
    /// <exception cref="WorkflowConflictException">The instance has ended already, or an active instance called it.</exception>
    /// <param name="execution">The cancel command.</param>
    /// <param name="unreadable">Why its state cannot be read.</param>
    /// <param name="ct">Cancels the read of its rows.</param>
    /// <param name="reason">The operator's reason, put first in the history's row.</param>
    public static async ValueTask CancelByRowsAsync(Execution execution, InstanceStateUnreadableException unreadable, CancellationToken ct, string? reason = null)
    {
        if (await TryCancelByRowsAsync(execution, unreadable, reason, ct).ConfigureAwait(false) is { } refused)
        {
            throw new WorkflowConflictException($"process instance {unreadable.InstanceId} {refused}");
        }
    }

    /// <summary>
    /// As <see cref="CancelByRowsAsync"/>, for a batch: an instance that has ended or that an active instance called is
    /// skipped, not refused.
    /// </summary>
    /// <returns>Null when cancelled; why not otherwise ("is already cancelled", "was called by …").</returns>
    public static async ValueTask<string?> TryCancelByRowsAsync(Execution execution, InstanceStateUnreadableException unreadable, string? reason, CancellationToken ct)
    {
        var store = execution.Engine.Store;
        var record = await store.GetInstanceAsync(unreadable.InstanceId, ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process instance {unreadable.InstanceId} does not exist");
        if (record.Status != ProcessInstanceStatus.Active)
        {
            return $"is already {record.Status.ToString().ToLowerInvariant()}";
        }

        if (record.ParentInstanceId is { } parent && (await store.GetInstanceAsync(parent, ct).ConfigureAwait(false))?.Status == ProcessInstanceStatus.Active)
        {
            return $"was called by {parent}; cancel the calling instance";
        }

        await EndByRowsAsync(execution, record, unreadable.Reason, ProcessInstanceStatus.Cancelled, reason, ct).ConfigureAwait(false);

        // The instances it called, and theirs: a readable one is terminated as a call activity's instance is (its own
        // called instances with it, through its state); an unreadable one by its rows, and its called ones looked up in turn.
        var callers = new Queue<Guid>([record.Id]);
        var seen = new HashSet<Guid> { record.Id };
        while (callers.TryDequeue(out var caller))
        {
            foreach (var called in await store.GetActiveCalledInstancesAsync(caller, ct).ConfigureAwait(false))
            {
                if (!seen.Add(called.Id))
                {
                    continue; // rows that call in a circle (written by hand): each instance ends once
                }

                LoadedInstance loaded;
                try
                {
                    loaded = await execution.LoadAsync(called.Id).ConfigureAwait(false);
                }
                catch (InstanceStateUnreadableException calledUnreadable)
                {
                    await EndByRowsAsync(execution, called, calledUnreadable.Reason, ProcessInstanceStatus.Terminated, null, ct).ConfigureAwait(false);
                    callers.Enqueue(called.Id);
                    continue;
                }

                await execution.TerminateInstanceAsync(loaded, ProcessInstanceStatus.Terminated).ConfigureAwait(false);
            }
        }

        return null;
    }

    // Ends one instance by its rows (see CancelByRowsAsync), with the status it ends in.
    private static async ValueTask EndByRowsAsync(Execution execution, InstanceRecord record, string problem, ProcessInstanceStatus status, string? reason, CancellationToken ct)
    {
        var store = execution.Engine.Store;
        var instance = await execution.Unit.AdoptUnreadableAsync(record).ConfigureAwait(false);
        var changes = execution.Changes;
        var now = execution.Now;
        foreach (var task in await store.GetOpenUserTasksAsync(record.Id, ct).ConfigureAwait(false))
        {
            changes.TasksClosed.Add((task.Id, Storage.TaskStatus.Cancelled));
        }

        var waits = await store.GetWaitsAsync(record.Id, ct).ConfigureAwait(false);
        changes.JobsClosed.AddRange(waits.Jobs.Select(j => j.Job.Id));
        changes.TimersRemoved.AddRange(waits.Timers.Select(t => t.Timer.Id));
        changes.MessageSubscriptionsRemoved.AddRange(waits.Messages.Select(m => m.Id));
        changes.SignalSubscriptionsRemoved.AddRange(waits.Signals.Select(s => s.Id));
        foreach (var incident in await store.GetOpenIncidentsAsync(record.Id, ct).ConfigureAwait(false))
        {
            changes.IncidentsResolved.Add((incident.Id, now));
        }

        var state = instance.State;
        state.Status = status;
        state.EndedAt = now;
        foreach (var module in execution.Engine.Modules)
        {
            module.OnCancelledUnread(execution, instance);
        }

        execution.EndedInstances.Add(status);
        execution.History(instance, HistoryKind.InstanceEnded(status), null, null, $"{(reason is null ? "" : reason + " | ")}by its rows: its stored state cannot be read ({problem})");
        await execution.MessageStarts.InstanceEndedAsync(instance).ConfigureAwait(false);
    }

    /// <summary>Gives back the parked jobs and timers of an instance whose state reads again.</summary>
    public static ValueTask ReleaseAsync(CommandRunner runner, Guid instanceId, CancellationToken ct) =>
        runner.Store.UnparkInstanceWorkAsync(instanceId, ParkingHolder, ct);
}
