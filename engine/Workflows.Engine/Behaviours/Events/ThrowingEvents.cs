using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Events;

/// <summary>
/// What end and intermediate throw events have in common: the message, signal and escalation they throw before
/// going on, and the compensation they throw and wait for (the event completes when its last handler has).
/// </summary>
internal static class ThrowingEvents
{
    /// <summary>Throws the event's message, signal or escalation, then completes the element if its token goes on; false when the event type is not one of these.</summary>
    public static async ValueTask<bool> TryThrowCommonAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        switch (node.Event?.Type)
        {
            case null or EventType.None:
                execution.EnqueueComplete(instance, element.Key);
                return true;
            case EventType.Message:
                execution.Messaging.SendMessage(instance, element, node, node.Event.Message);
                execution.EnqueueComplete(instance, element.Key);
                return true;
            case EventType.Signal:
                execution.Messaging.BroadcastFromModel(instance, element, node);
                execution.EnqueueComplete(instance, element.Key);
                return true;
            case EventType.Escalation:
                if (await execution.ThrownEvents.ThrowEscalationAsync(instance, element, node.Event.Escalation!.Code ?? "").ConfigureAwait(false))
                {
                    execution.EnqueueComplete(instance, element.Key);
                }

                return true;
            case EventType.Compensate:
                if (!await execution.Compensations.ThrowAsync(instance, element, node, node.Event.ActivityRef).ConfigureAwait(false))
                {
                    execution.EnqueueComplete(instance, element.Key);
                }

                return true;
            default:
                return false;
        }
    }

    public static StepFailedException CannotExecute(FlowNode node) =>
        new($"{node} with a {node.Event!.Type} definition cannot be executed");
}
