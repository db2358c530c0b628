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

    /// <summary>Gives back the parked jobs and timers of an instance whose state reads again.</summary>
    public static ValueTask ReleaseAsync(CommandRunner runner, Guid instanceId, CancellationToken ct) =>
        runner.Store.UnparkInstanceWorkAsync(instanceId, ParkingHolder, ct);
}
