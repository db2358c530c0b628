using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Events;

/// <summary>
/// An end event: throws its message, signal, escalation, error or compensation, terminates its scope, or
/// cancels its transaction, and ends its token (the scope completes once no token is left in it).
/// </summary>
internal sealed class EndEventBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        if (await ThrowingEvents.TryThrowCommonAsync(execution, instance, element, node).ConfigureAwait(false))
        {
            return;
        }

        switch (node.Event!.Type)
        {
            case EventType.Terminate:
                // No lambda over the element here: it would cost every end event a closure, terminating or not.
                foreach (var sibling in ElementTree.Children(instance.State, element.ParentKey))
                {
                    if (sibling.Key != element.Key)
                    {
                        await execution.TerminateAsync(instance, sibling).ConfigureAwait(false);
                    }
                }

                instance.State.Elements[element.ParentKey].JoinArrivals = null;
                execution.EnqueueComplete(instance, element.Key);
                break;
            case EventType.Cancel:
                await execution.Compensations.CancelTransactionAsync(instance, element, node).ConfigureAwait(false);
                break;
            case EventType.Error:
                var error = node.Event.Error!;
                await execution.ThrowErrorAsync(instance, element, error.Code ?? "", error.Name ?? error.Code ?? "error").ConfigureAwait(false);
                break;
            default:
                throw ThrowingEvents.CannotExecute(node);
        }
    }

    /// <summary>A terminate end event in the process scope ends the instance as terminated, not completed.</summary>
    public override void Left(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        if (node.Event?.Type == EventType.Terminate && element.ParentKey == InstanceState.RootKey)
        {
            instance.TerminatedByEndEvent = true;
        }
    }
}
