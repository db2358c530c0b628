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
    public const long StateIncidentKey = 0;

    /// <summary>Who holds the parked work of an unreadable instance.</summary>
    public const string ParkingHolder = "unreadable-state";

    public static async Task ReportAsync(CommandRunner runner, InstanceStateUnreadableException unreadable, CancellationToken ct)
    {
        var store = runner.Store;
        await store.ParkInstanceWorkAsync(unreadable.InstanceId, ParkingHolder, ct).ConfigureAwait(false);
        var open = await store.GetOpenIncidentsAsync(unreadable.InstanceId, ct).ConfigureAwait(false);
        if (open.Any(i => i.ElementKey == StateIncidentKey)
            || await store.GetInstanceAsync(unreadable.InstanceId, ct).ConfigureAwait(false) is not { } record)
        {
            return; // one incident per instance, however often and by whatever its state is met
        }

        runner.Core.Log.Unreadable(unreadable.InstanceId, unreadable.Reason);
        await runner.ExecuteAsync(execution =>
        {
            var now = execution.Now;
            execution.Changes.IncidentsCreated.Add(new IncidentRecord(Guid.CreateVersion7(now), record.Id, StateIncidentKey, record.ProcessId, unreadable.Message, now, null));
            execution.Changes.History.Add(new HistoryRecord(record.Id, now, HistoryKind.IncidentRaised, record.ProcessId, StateIncidentKey, execution.Actor, unreadable.Message));
            return ValueTask.FromResult(true);
        }, ct, runTokens: false, name: "ReportUnreadableInstance").ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels an instance whose stored state cannot be read, by what its rows say, in the command's one commit: its open
    /// tasks are cancelled, its jobs, timers and message and signal subscriptions removed (parked ones too), its service
    /// clocks ended by their module, its open incidents resolved, a message start's lock on its key released, and its
    /// row marked cancelled (the stored state kept as it was, for whoever wants to look at it). The history's
    /// <c>instance-cancelled</c> row names the actor, as for any cancel.
    /// </summary>
    /// <remarks>
    /// Nothing of the state is known, so nothing is run: no compensation, no end listener. Instances it called keep
    /// running until cancelled themselves, which their parent's end now allows.
    /// </remarks>
    /// <exception cref="WorkflowConflictException">The instance has ended already, or an active instance called it.</exception>
    /// <param name="execution">The cancel command.</param>
    /// <param name="unreadable">Why its state cannot be read.</param>
    /// <param name="ct">Cancels the read of its rows.</param>
    /// <param name="reason">The operator's reason, put first in the history's row.</param>
    public static async ValueTask CancelByRowsAsync(Execution execution, InstanceStateUnreadableException unreadable, CancellationToken ct, string? reason = null)
    {
        var store = execution.Engine.Store;
        var record = await store.GetInstanceAsync(unreadable.InstanceId, ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process instance {unreadable.InstanceId} does not exist");
        if (record.Status != ProcessInstanceStatus.Active)
        {
            throw new WorkflowConflictException($"process instance {record.Id} is already {record.Status.ToString().ToLowerInvariant()}");
        }

        if (record.ParentInstanceId is { } parent && (await store.GetInstanceAsync(parent, ct).ConfigureAwait(false))?.Status == ProcessInstanceStatus.Active)
        {
            throw new WorkflowConflictException($"process instance {record.Id} was called by {parent}; cancel the calling instance");
        }

        var instance = await execution.Unit.AdoptUnreadableAsync(record).ConfigureAwait(false);
        var changes = execution.Changes;
        var now = execution.Now;
        foreach (var task in await store.GetOpenUserTasksAsync(record.Id, ct).ConfigureAwait(false))
        {
            changes.TasksClosed.Add((task.Id, Storage.TaskStatus.Cancelled));
        }

        var waits = await store.GetWaitsAsync(record.Id, ct).ConfigureAwait(false);
        changes.JobsClosed.AddRange(waits.Jobs.Select(j => j.Job.Id));
        changes.TimersRemoved.AddRange(waits.Timers.Select(t => t.Id));
        changes.MessageSubscriptionsRemoved.AddRange(waits.Messages.Select(m => m.Id));
        changes.SignalSubscriptionsRemoved.AddRange(waits.Signals.Select(s => s.Id));
        foreach (var incident in await store.GetOpenIncidentsAsync(record.Id, ct).ConfigureAwait(false))
        {
            changes.IncidentsResolved.Add((incident.Id, now));
        }

        var state = instance.State;
        state.Status = ProcessInstanceStatus.Cancelled;
        state.EndedAt = now;
        foreach (var module in execution.Engine.Modules)
        {
            module.OnCancelledUnread(execution, instance);
        }

        execution.EndedInstances.Add(ProcessInstanceStatus.Cancelled);
        execution.History(instance, HistoryKind.InstanceEnded(ProcessInstanceStatus.Cancelled), null, null, $"{(reason is null ? "" : reason + " | ")}by its rows: its stored state cannot be read ({unreadable.Reason})");
        await execution.MessageStarts.InstanceEndedAsync(instance).ConfigureAwait(false);
    }

    /// <summary>Gives back the parked jobs and timers of an instance whose state reads again.</summary>
    public static ValueTask ReleaseAsync(CommandRunner runner, Guid instanceId, CancellationToken ct) =>
        runner.Store.UnparkInstanceWorkAsync(instanceId, ParkingHolder, ct);
}
