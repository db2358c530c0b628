using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Events;

/// <summary>
/// An intermediate catch event waits for its timer, message or signal. Activated by its event (after an
/// event-based gateway) or as the target of a link, it completes at once.
/// </summary>
internal sealed class IntermediateCatchEventBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        if (trigger is not null || node.Event?.Type == EventType.Link)
        {
            execution.EnqueueComplete(instance, element.Key, trigger);
            return;
        }

        await execution.Waits.OpenWaitAsync(instance, element, node).ConfigureAwait(false);
    }
}
