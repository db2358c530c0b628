using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Events;

/// <summary>
/// A boundary event: activated once its activity's wait fired or an error or escalation was caught
/// (interrupting the activity first when it is interrupting), it completes at once with the trigger's variables.
/// </summary>
internal sealed class BoundaryEventBehaviour : ElementBehaviour
{
    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        execution.EnqueueComplete(instance, element.Key, trigger);
        return ValueTask.CompletedTask;
    }

    /// <summary>Its activity's wait fired: an interrupting event ends the activity first; then the event runs in the activity's scope.</summary>
    public override async ValueTask<bool> TriggeredAsync(Execution execution, LoadedInstance instance, ElementInstance owner, FlowNode catchNode, FeelContext? variables)
    {
        execution.History(instance, HistoryKind.BoundaryTriggered, catchNode.Id, owner.Key);
        if (catchNode.IsInterrupting)
        {
            await execution.TerminateAsync(instance, owner, HistoryKind.ElementInterrupted).ConfigureAwait(false);
        }

        execution.EnqueueActivate(instance, owner.ParentKey, catchNode, variables ?? []);
        return true;
    }
}
