using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Tasks;

/// <summary>A service or business-rule task: its handler runs now, or a job waits for a worker.</summary>
internal sealed class ServiceTaskBehaviour : ElementBehaviour
{
    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger) =>
        execution.Jobs.StartAsync(instance, element, node);
}
