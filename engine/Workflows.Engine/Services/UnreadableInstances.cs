using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// Instances whose stored state cannot be read, met by the worker: each becomes one open incident on the instance
/// (element key 0: the instance as a whole) naming what is wrong, which the operations pages and the API list, and
/// the worker goes on with every other instance instead of failing its round.
/// </summary>
/// <remarks>
/// Nothing of the instance is written: its row stays as it is for an operator to repair. Its due work (a timer, a job)
/// stays too, and is met again when its lease runs out; the incident is raised once. Resolving the incident after the
/// repair reads the state again and closes it.
/// </remarks>
internal static class UnreadableInstances
{
    /// <summary>The element key of an incident that stands for the instance's unreadable state.</summary>
    public const long StateIncidentKey = 0;

    public static async Task ReportAsync(CommandRunner runner, InstanceStateUnreadableException unreadable, CancellationToken ct)
    {
        runner.Core.Log.Unreadable(unreadable.InstanceId, unreadable.Reason);
        var store = runner.Store;
        var open = await store.GetOpenIncidentsAsync(unreadable.InstanceId, ct).ConfigureAwait(false);
        if (open.Any(i => i.ElementKey == StateIncidentKey && i.Message == unreadable.Message)
            || await store.GetInstanceAsync(unreadable.InstanceId, ct).ConfigureAwait(false) is not { } record)
        {
            return;
        }

        await runner.ExecuteAsync(execution =>
        {
            var now = execution.Now;
            execution.Changes.IncidentsCreated.Add(new IncidentRecord(Guid.CreateVersion7(now), record.Id, StateIncidentKey, record.ProcessId, unreadable.Message, now, null));
            execution.Changes.History.Add(new HistoryRecord(record.Id, now, HistoryKind.IncidentRaised, record.ProcessId, StateIncidentKey, execution.Actor, unreadable.Message));
            return ValueTask.FromResult(true);
        }, ct, runTokens: false, name: "ReportUnreadableInstance").ConfigureAwait(false);
    }
}
