using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Tasks;

/// <summary>A task without a type and a manual task: nothing for the engine to do, so it completes at once.</summary>
internal sealed class PlainTaskBehaviour : ElementBehaviour
{
    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        execution.EnqueueComplete(instance, element.Key);
        return ValueTask.CompletedTask;
    }
}
