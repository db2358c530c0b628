using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Containers;

/// <summary>
/// A transaction sub-process: runs as an embedded sub-process. When a cancel end event inside it is reached
/// (<see cref="Compensations.CancelTransactionAsync"/>), what else runs in it ends and its completed activities
/// are compensated; once the last handler is done, the transaction is left through its cancel boundary event
/// instead of its outgoing flows. An error or any other interruption ends it without compensation.
/// </summary>
internal sealed class TransactionBehaviour : ElementBehaviour
{
    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger) =>
        SubProcessBehaviour.StartAsync(execution, instance, element, node);

    public override async ValueTask<bool> ChildrenEndedAsync(Execution execution, LoadedInstance instance, ElementInstance scope, FlowNode node)
    {
        if (!scope.Cancelled || node.Boundaries.Find(b => b.Event?.Type == EventType.Cancel) is not { } cancelBoundary)
        {
            return false;
        }

        // A multi-instance transaction is left as a whole: the boundary event belongs to the activity.
        var owner = scope.IsMultiInstanceInner ? instance.State.Elements[scope.ParentKey] : scope;
        execution.History(instance, HistoryKind.BoundaryTriggered, cancelBoundary.Id, owner.Key);
        await execution.TerminateAsync(instance, owner, HistoryKind.ElementInterrupted).ConfigureAwait(false);
        execution.EnqueueActivate(instance, owner.ParentKey, cancelBoundary, []);
        return true;
    }
}
