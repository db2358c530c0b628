using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Events;

/// <summary>An intermediate throw event: throws its message, signal or escalation and goes on, or jumps to the link catch event of the same name.</summary>
internal sealed class IntermediateThrowEventBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        if (await ThrowingEvents.TryThrowCommonAsync(execution, instance, element, node).ConfigureAwait(false))
        {
            return;
        }

        if (node.Event!.Type != EventType.Link)
        {
            throw ThrowingEvents.CannotExecute(node);
        }

        var target = instance.Definition.LinkCatch(node.Parent!, node.Event.LinkName)
            ?? throw new StepFailedException($"no link catch event named '{node.Event.LinkName}' in the same scope");
        execution.Elements.Leave(instance, element, HistoryKind.ElementCompleted);
        execution.EnqueueActivate(instance, element.ParentKey, target);
    }
}
