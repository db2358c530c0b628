using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Tasks;

/// <summary>A receive task waits for its message; activated by the message itself (after an event-based gateway), it completes at once.</summary>
internal sealed class ReceiveTaskBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        if (trigger is not null)
        {
            execution.EnqueueComplete(instance, element.Key, trigger);
            return;
        }

        await execution.Waits.OpenMessageWaitAsync(instance, element, node, node.Message).ConfigureAwait(false);
    }
}
