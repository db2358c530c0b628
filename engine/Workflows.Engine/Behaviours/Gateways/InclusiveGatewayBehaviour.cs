using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Gateways;

/// <summary>The inclusive gateway: joins the tokens that arrived once no other can still arrive, and takes every flow whose condition is true, else the default.</summary>
internal sealed class InclusiveGatewayBehaviour : ElementBehaviour
{
    public override FlowRule Flows => FlowRule.EveryTrue;

    public override JoinRule Join => JoinRule.Inclusive;

    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        execution.EnqueueComplete(instance, element.Key);
        return ValueTask.CompletedTask;
    }
}
