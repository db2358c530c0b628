using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Containers;

/// <summary>
/// An embedded sub-process or transaction: opens its event sub-processes' waits and starts at its none
/// start event; it completes when its last token ended (<see cref="TokenLoop"/> settles the scope).
/// </summary>
internal sealed class SubProcessBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        await execution.Waits.OpenEventSubProcessWaitsAsync(instance, element, node).ConfigureAwait(false);
        var start = node.NoneStart ?? throw new StepFailedException("the sub-process has no none start event");
        execution.EnqueueActivate(instance, element.Key, start);
    }
}
