using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Gateways;

/// <summary>
/// The event-based gateway: waits for the events after it; the first that happens wins, closes the
/// others and activates its catch event (see <see cref="WaitPoints.TriggerWaitAsync"/>).
/// </summary>
internal sealed class EventBasedGatewayBehaviour : ElementBehaviour
{
    public override FlowRule Flows => FlowRule.None;

    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        foreach (var flow in node.Outgoing)
        {
            await execution.Waits.OpenWaitAsync(instance, element, flow.Target).ConfigureAwait(false);
            if (!instance.State.Elements.ContainsKey(element.Key))
            {
                break; // a buffered message resolved the race at once
            }
        }
    }
}
