using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Containers;

/// <summary>
/// An ad-hoc sub-process, as Camunda 8.8 runs it: on entry it evaluates <c>zeebe:adHoc activeElementsCollection</c>
/// (a list of the ids of its inner elements that have no incoming flow) and activates those elements, once per
/// entry of the list; each then runs on along its own flows inside the sub-process.
/// </summary>
/// <remarks>
/// After an inner element completes, once the command's tokens have come to rest (<see cref="SettleAsync"/>):
/// with no inner element left, the sub-process completes when it has no <c>completionCondition</c> or the
/// condition is true, and otherwise stays active; with inner elements still active, it completes at once
/// when the condition is true and <c>cancelRemainingInstances</c> is true (the default), terminating them,
/// and otherwise waits for them. An empty or absent collection activates nothing and the sub-process stays
/// active, as in Zeebe (which can activate elements later through its API; this engine has no such command yet,
/// so such a sub-process ends only through its boundary events or a cancellation).
/// </remarks>
internal sealed class AdHocSubProcessBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        await execution.Waits.OpenEventSubProcessWaitsAsync(instance, element, node).ConfigureAwait(false);
        if (node.AdHoc?.ActiveElements is not { } collection)
        {
            return;
        }

        var value = execution.Expressions.Evaluate(collection, new ElementScope(instance.State, element), node, "the active elements collection");
        if (value is not List<object?> ids)
        {
            throw new StepFailedException($"the active elements collection of {node} gave {FeelValue.ToDisplayString(value)}, not a list of element ids");
        }

        // Every id is checked before any element starts, so that a bad entry activates nothing.
        var targets = new List<FlowNode>(ids.Count);
        foreach (var id in ids)
        {
            var target = id is string s ? node.Children.FirstOrDefault(c => c.Id == s) : null;
            if (target is null || !IsActivatable(target))
            {
                throw new StepFailedException($"the active elements collection of {node} holds {FeelValue.ToDisplayString(id)}, which is not an inner element without incoming flows; activatable: {string.Join(", ", node.Children.Where(IsActivatable).Select(c => c.Id))}");
            }

            targets.Add(target);
        }

        foreach (var target in targets)
        {
            execution.EnqueueActivate(instance, element.Key, target);
        }
    }

    /// <summary>An inner element that the collection may start: one without incoming flows, not a boundary event or event sub-process.</summary>
    public static bool IsActivatable(FlowNode inner) =>
        inner.Incoming.Count == 0 && inner.Kind is not (NodeKind.BoundaryEvent or NodeKind.StartEvent) && !inner.TriggeredByEvent;

    /// <summary>
    /// An inner element of <paramref name="scope"/> completed and no token is in flight: completes the sub-process when
    /// its completion rule says so (terminating the inner elements still active when it cancels them). Returns whether it did.
    /// </summary>
    public static async ValueTask<bool> SettleAsync(Execution execution, LoadedInstance instance, ElementInstance scope, FlowNode node)
    {
        var active = ElementTree.HasActiveChildren(instance.State, scope.Key) || scope.JoinArrivals is { Count: > 0 };
        var adHoc = node.AdHoc!;
        var done = true;
        if (adHoc.CompletionCondition is { } condition)
        {
            try
            {
                var value = execution.Expressions.Evaluate(condition, new ElementScope(instance.State, scope), node, "the completion condition");
                done = value as bool? ?? throw new StepFailedException($"the completion condition of {node} ({condition.Text.Trim()}) gave {FeelValue.ToDisplayString(value)}, not a boolean");
            }
            catch (StepFailedException e)
            {
                // The retry decides again (Incidents.RetryAsync), it does not complete the sub-process outright.
                execution.Incidents.Raise(instance, scope, IncidentPhase.Complete, e.Message);
                return false;
            }
        }

        if (!done || (active && (adHoc.CompletionCondition is null || !adHoc.CancelRemainingInstances)))
        {
            return false;
        }

        foreach (var child in ElementTree.Children(instance.State, scope.Key))
        {
            await execution.TerminateAsync(instance, child).ConfigureAwait(false);
        }

        scope.JoinArrivals = null;
        execution.EnqueueComplete(instance, scope.Key);
        return true;
    }
}
