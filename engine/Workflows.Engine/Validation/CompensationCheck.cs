using Workflows.Engine.Model;

namespace Workflows.Engine.Validation;

/// <summary>
/// What compensation and cancel events need to run: a handler associated with each compensation boundary
/// event, an activity to compensate that the throw event can see, a cancel end event inside a transaction
/// that has a cancel boundary event. Each problem is reported on the element through <c>report(code, message)</c>.
/// </summary>
internal static class CompensationCheck
{
    public static void CheckEvent(FlowNode node, EventDefinition e, Action<string, string> report)
    {
        if (e.Type == EventType.Cancel)
        {
            CheckCancel(node, report);
            return;
        }

        switch (node.Kind)
        {
            case NodeKind.BoundaryEvent:
                if (node.Outgoing.Count > 0)
                {
                    report("COMPENSATION_BOUNDARY_FLOW", "a compensation boundary event has no outgoing sequence flow; associate it with its handler instead");
                }

                if (node.AttachedTo is { CompensationHandler: null })
                {
                    report("COMPENSATION_HANDLER_MISSING", "the compensation boundary event is associated with no handler (an activity with isForCompensation=\"true\")");
                }

                break;
            case NodeKind.IntermediateThrowEvent or NodeKind.EndEvent:
                CheckActivityRef(node, e, report);
                break;
            case NodeKind.StartEvent when node.Parent is not { TriggeredByEvent: true, Parent.Kind: NodeKind.SubProcess or NodeKind.Transaction }:
                report("COMPENSATION_START_INVALID", "a compensation start event belongs in an event sub-process of an embedded sub-process");
                break;
            case NodeKind.IntermediateCatchEvent:
                report("UNSUPPORTED", "an intermediate catch event cannot wait for compensation; attach a compensation boundary event to the activity");
                break;
        }
    }

    private static void CheckActivityRef(FlowNode node, EventDefinition e, Action<string, string> report)
    {
        if (e.ActivityRef is not { } activityId)
        {
            return;
        }

        // Inside an event sub-process the throw compensates the scope that holds the event sub-process.
        var scope = node.Parent is { TriggeredByEvent: true } eventSubProcess ? eventSubProcess.Parent : node.Parent;
        if (scope?.Children.Find(c => c.Id == activityId) is not { IsActivity: true, IsForCompensation: false })
        {
            report("COMPENSATION_ACTIVITY_INVALID", $"activityRef '{activityId}' is not an activity in the scope this event compensates ('{scope?.Id}')");
        }
    }

    private static void CheckCancel(FlowNode node, Action<string, string> report)
    {
        switch (node.Kind)
        {
            case NodeKind.EndEvent when node.Parent is not { Kind: NodeKind.Transaction }:
                report("CANCEL_OUTSIDE_TRANSACTION", "a cancel end event belongs directly inside a transaction sub-process");
                break;
            case NodeKind.EndEvent when !node.Parent.Boundaries.Exists(b => b.Event?.Type == EventType.Cancel):
                report("CANCEL_BOUNDARY_MISSING", $"the transaction '{node.Parent.Id}' has no cancel boundary event for this cancel end event to leave through");
                break;
            case NodeKind.BoundaryEvent when node.AttachedTo is not null && node.AttachedTo.Kind != NodeKind.Transaction:
                report("CANCEL_OUTSIDE_TRANSACTION", "a cancel boundary event can be attached only to a transaction sub-process");
                break;
            case NodeKind.BoundaryEvent when node.AttachedTo?.Boundaries.Find(b => b.Event?.Type == EventType.Cancel) is { } first && first != node:
                report("CANCEL_BOUNDARY_DUPLICATE", $"the transaction '{node.AttachedTo.Id}' has a cancel boundary event already ('{first.Id}'); it can have one");
                break;
            case NodeKind.EndEvent or NodeKind.BoundaryEvent:
                break;
            default:
                report("UNSUPPORTED", $"a {node.ElementName} cannot have a cancel event definition; only end events inside a transaction and boundary events on one can");
                break;
        }
    }

    /// <summary>A compensation handler has no sequence flows and is associated with a compensation boundary event; an associated activity is marked as a handler.</summary>
    public static void CheckHandler(ProcessModel process, FlowNode node, Action<string, string> report)
    {
        if (node.CompensationHandler is { IsForCompensation: false } handler)
        {
            report("COMPENSATION_HANDLER_INVALID", $"the compensation handler '{handler.Id}' is not marked isForCompensation=\"true\"");
        }

        if (!node.IsForCompensation)
        {
            return;
        }

        if (node.Incoming.Count > 0 || node.Outgoing.Count > 0)
        {
            report("COMPENSATION_HANDLER_FLOW", "a compensation handler has no incoming or outgoing sequence flows: it runs only when its activity is compensated");
        }

        if (!process.Nodes.Values.Any(n => n.CompensationHandler == node))
        {
            report("COMPENSATION_HANDLER_UNUSED", "no compensation boundary event is associated with this compensation handler, so it never runs");
        }
    }
}
