using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Gateways;

/// <summary>The exclusive gateway: passes at once and takes the first flow whose condition is true, else the default.</summary>
internal sealed class ExclusiveGatewayBehaviour : ElementBehaviour
{
    public override FlowRule Flows => FlowRule.FirstTrue;

    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        execution.EnqueueComplete(instance, element.Key);
        return ValueTask.CompletedTask;
    }
}
