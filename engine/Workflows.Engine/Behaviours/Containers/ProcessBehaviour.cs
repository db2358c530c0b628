using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Containers;

/// <summary>
/// The process scope: a command starts it at a start event (after its event sub-processes' waits
/// open); it completes when its last token ended, and hands its variables back to a calling activity.
/// </summary>
internal static class ProcessBehaviour
{
    /// <summary>Starts the process scope at <paramref name="startNode"/>, opening its event sub-process subscriptions first.</summary>
    public static async ValueTask StartAsync(Execution execution, LoadedInstance instance, FlowNode startNode, FeelContext? triggerVariables)
    {
        var root = instance.State.Elements[InstanceState.RootKey];
        try
        {
            foreach (var listener in execution.Listeners)
            {
                listener.OnActivating(instance, root, instance.Definition.Process.Root);
            }

            // An event sub-process's correlation key or timer read from variables the start did not bring: the
            // process scope has no element to hold an incident yet, so the start is refused, naming the expression.
            await execution.Waits.OpenEventSubProcessWaitsAsync(instance, root, instance.Definition.Process.Root).ConfigureAwait(false);
        }
        catch (StepFailedException e)
        {
            throw new WorkflowInputException($"process '{instance.State.ProcessId}' cannot start: {e.Message}");
        }

        execution.EnqueueActivate(instance, root.Key, startNode, triggerVariables);
    }

    /// <summary>The last token of the process scope ended: the instance is completed (or terminated by a terminate end event).</summary>
    public static async ValueTask CompleteAsync(Execution execution, LoadedInstance instance, ElementInstance root)
    {
        var state = instance.State;
        execution.Waits.CloseWaits(root);
        foreach (var listener in execution.Listeners)
        {
            listener.OnLeaving(instance, root, completed: true);
        }

        execution.Unit.KeepParties(instance, root);
        state.Elements.Remove(root.Key);
        state.Compensations = null; // nothing is compensated once the instance has ended
        state.Status = instance.TerminatedByEndEvent ? ProcessInstanceStatus.Terminated : ProcessInstanceStatus.Completed;
        state.EndedAt = execution.Now;
        execution.EndedInstances.Add(state.Status);
        execution.History(instance, HistoryKind.InstanceCompleted, null, null, state.Status.ToString());

        await CallActivityBehaviour.CalledInstanceCompletedAsync(execution, state).ConfigureAwait(false);
        await execution.MessageStarts.InstanceEndedAsync(instance).ConfigureAwait(false);
    }
}
