using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Gateways;

/// <summary>The parallel gateway: joins one token from each incoming flow and takes every outgoing flow.</summary>
internal sealed class ParallelGatewayBehaviour : ElementBehaviour
{
    public override FlowRule Flows => FlowRule.All;

    public override JoinRule Join => JoinRule.AllIncoming;

    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        execution.EnqueueComplete(instance, element.Key);
        return ValueTask.CompletedTask;
    }
}
