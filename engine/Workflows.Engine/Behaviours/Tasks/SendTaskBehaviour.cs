using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Tasks;

/// <summary>A send task: with a task type it is done by a job like a service task; otherwise it sends its message and goes on.</summary>
internal sealed class SendTaskBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        if (node.Task is not null)
        {
            await execution.Jobs.StartAsync(instance, element, node).ConfigureAwait(false);
            return;
        }

        execution.Messaging.SendMessage(instance, element, node, node.Message);
        execution.EnqueueComplete(instance, element.Key);
    }
}
