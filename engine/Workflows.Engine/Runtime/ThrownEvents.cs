using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// BPMN errors and escalations: thrown from an element, caught by the nearest matching boundary event
/// or event sub-process outwards, across call activities.
/// </summary>
internal sealed class ThrownEvents(Execution execution)
{
    /// <summary>
    /// Throws a BPMN error from <paramref name="thrower"/>: the nearest error boundary or error event
    /// sub-process with a matching code (or none, which catches all) catches it, across call
    /// activities; an uncaught error becomes an incident on the thrower.
    /// </summary>
    /// <remarks><paramref name="variables"/>: the error's payload (a job worker's), set on the catching event as a message's are.</remarks>
    public async ValueTask ThrowErrorAsync(LoadedInstance instance, ElementInstance thrower, string code, string message, FeelContext? variables = null)
    {
        var (catchInstance, owner, catchNode) = await FindCatchAsync(instance, thrower, EventType.Error, code).ConfigureAwait(false);
        if (catchNode is null)
        {
            execution.Incidents.Raise(instance, thrower, IncidentPhase.Activate, $"an error with code '{code}' was thrown and not caught: {message}");
            return;
        }

        execution.Unit.History(instance, HistoryKind.ErrorThrown, thrower.ElementId, thrower.Key, code);
        await CatchAsync(catchInstance!, owner!, catchNode, interrupting: true, variables).ConfigureAwait(false);
    }

    /// <summary>Throws an escalation; returns whether the thrower goes on (uncaught, or caught without interrupting).</summary>
    /// <remarks><paramref name="fromInside"/>: thrown by the scope's own clock, so its own event sub-processes catch it too.</remarks>
    public async ValueTask<bool> ThrowEscalationAsync(LoadedInstance instance, ElementInstance thrower, string code, bool fromInside = false)
    {
        execution.Unit.History(instance, HistoryKind.EscalationThrown, thrower.ElementId, thrower.Key, code);
        var (catchInstance, owner, catchNode) = await FindCatchAsync(instance, thrower, EventType.Escalation, code, fromInside).ConfigureAwait(false);
        if (catchNode is null)
        {
            return true;
        }

        await CatchAsync(catchInstance!, owner!, catchNode, catchNode.IsInterrupting).ConfigureAwait(false);
        return instance.State.Elements.ContainsKey(thrower.Key);
    }

    private async ValueTask CatchAsync(LoadedInstance instance, ElementInstance owner, FlowNode catchNode, bool interrupting, FeelContext? variables = null)
    {
        if (catchNode.Kind == NodeKind.BoundaryEvent)
        {
            if (interrupting)
            {
                await execution.Elements.TerminateAsync(instance, owner, HistoryKind.ElementInterrupted).ConfigureAwait(false);
            }

            execution.Tokens.EnqueueActivate(instance, owner.ParentKey, catchNode, variables ?? []);
        }
        else
        {
            await execution.Waits.StartEventSubProcessAsync(instance, owner, catchNode.Parent!, catchNode, variables ?? []).ConfigureAwait(false);
        }
    }

    private async ValueTask<(LoadedInstance? Instance, ElementInstance? Owner, FlowNode? CatchNode)> FindCatchAsync(LoadedInstance instance, ElementInstance thrower, EventType type, string code, bool fromInside = false)
    {
        var current = thrower;
        var first = !fromInside;
        while (true)
        {
            var node = instance.Definition.Node(current.ElementId);
            if (!first && node.IsScope && !current.IsMultiInstanceBody)
            {
                var start = Match(node.EventSubProcesses.SelectMany(s => s.Children.Where(c => c.Kind == NodeKind.StartEvent)), type, code);
                if (start is not null && !current.Interrupted)
                {
                    return (instance, current, start);
                }
            }

            if (!current.IsMultiInstanceInner)
            {
                var boundary = Match(node.Boundaries, type, code);
                if (boundary is not null)
                {
                    return (instance, current, boundary);
                }
            }

            first = false;
            if (current.ParentKey != 0 && instance.State.Elements.TryGetValue(current.ParentKey, out var parent))
            {
                current = parent;
                continue;
            }

            // Out of the process: a called process hands the error to its call activity.
            if (instance.State.ParentInstanceId is { } parentId && instance.State.ParentElementKey is { } callKey)
            {
                var caller = await execution.Unit.LoadAsync(parentId).ConfigureAwait(false);
                if (caller.State.Elements.TryGetValue(callKey, out var callElement))
                {
                    instance = caller;
                    current = callElement;
                    first = false;
                    var callNode = caller.Definition.Node(callElement.ElementId);
                    var boundary = Match(callNode.Boundaries, type, code);
                    if (boundary is not null)
                    {
                        return (caller, callElement, boundary);
                    }

                    if (caller.State.Elements.TryGetValue(callElement.ParentKey, out var callerScope))
                    {
                        current = callerScope;
                        continue;
                    }
                }
            }

            return (null, null, null);
        }
    }

    private static FlowNode? Match(IEnumerable<FlowNode> candidates, EventType type, string code)
    {
        FlowNode? catchAll = null;
        foreach (var candidate in candidates)
        {
            if (candidate.Event?.Type != type)
            {
                continue;
            }

            var candidateCode = type == EventType.Error ? candidate.Event.Error?.Code : candidate.Event.Escalation?.Code;
            if (candidateCode is null)
            {
                catchAll ??= candidate;
            }
            else if (candidateCode == code)
            {
                return candidate;
            }
        }

        return catchAll;
    }
}
