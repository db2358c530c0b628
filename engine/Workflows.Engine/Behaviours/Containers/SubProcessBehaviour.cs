using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Containers;

/// <summary>
/// An embedded sub-process: opens its event sub-processes' waits and starts at its none
/// start event; it completes when its last token ended (<see cref="TokenLoop"/> settles the scope).
/// </summary>
internal sealed class SubProcessBehaviour : ElementBehaviour
{
    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger) =>
        StartAsync(execution, instance, element, node);

    /// <summary>Opens the scope's event sub-process waits and starts it at its none start event.</summary>
    public static async ValueTask StartAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        await execution.Waits.OpenEventSubProcessWaitsAsync(instance, element, node).ConfigureAwait(false);
        var start = node.NoneStart ?? throw new StepFailedException("the sub-process has no none start event");
        execution.EnqueueActivate(instance, element.Key, start);
    }
}
