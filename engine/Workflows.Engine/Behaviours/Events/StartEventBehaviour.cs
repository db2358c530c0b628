using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Events;

/// <summary>A start event: whatever started its scope has happened, so it completes at once with the trigger's variables.</summary>
internal sealed class StartEventBehaviour : ElementBehaviour
{
    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        execution.EnqueueComplete(instance, element.Key, trigger);
        return ValueTask.CompletedTask;
    }

    /// <summary>The start event of an event sub-process caught its event: the event sub-process starts in the owning scope.</summary>
    public override async ValueTask<bool> TriggeredAsync(Execution execution, LoadedInstance instance, ElementInstance owner, FlowNode catchNode, FeelContext? variables)
    {
        if (catchNode.Parent is not { TriggeredByEvent: true } eventSubProcess)
        {
            return false;
        }

        await execution.Waits.StartEventSubProcessAsync(instance, owner, eventSubProcess, catchNode, variables).ConfigureAwait(false);
        return true;
    }
}
