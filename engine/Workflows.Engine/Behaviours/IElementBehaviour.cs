using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours;

/// <summary>
/// What one kind of element does. The lifecycle around it (input and output mappings, boundary events,
/// multi-instance, incidents, leaving its scope) is the same for every kind and lives in
/// <see cref="ElementLifecycle"/>; a behaviour does only what differs, with the command's services
/// (<see cref="Execution"/>) for waits, jobs, messages, thrown events and variables.
/// </summary>
internal interface IElementBehaviour
{
    /// <summary>How the outgoing flows are chosen when the element completes.</summary>
    FlowRule Flows { get; }

    /// <summary>Whether tokens arriving on several incoming flows wait for each other here.</summary>
    JoinRule Join { get; }

    /// <summary>
    /// The element is active (inputs mapped, boundary events open): do its work, then complete it
    /// (<see cref="Execution.EnqueueComplete"/>) or leave it waiting. A <see cref="StepFailedException"/> is an incident.
    /// The trigger is the variables of the event that activated it, when one did (a caught message, a boundary event).
    /// </summary>
    ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger);

    /// <summary>
    /// A wait opened for this catch element fired (a timer, message or signal) while <paramref name="owner"/>
    /// owns it: handle it and return true, or return false to let the waiting element complete (or, when
    /// an event-based gateway owns the wait, to let the first event win).
    /// </summary>
    ValueTask<bool> TriggeredAsync(Execution execution, LoadedInstance instance, ElementInstance owner, FlowNode catchNode, FeelContext? variables);

    /// <summary>
    /// The last token inside <paramref name="scope"/> ended: return true when the behaviour decides where the scope
    /// goes (a cancelled transaction leaves through its cancel boundary event), false to let the scope complete.
    /// </summary>
    ValueTask<bool> ChildrenEndedAsync(Execution execution, LoadedInstance instance, ElementInstance scope, FlowNode node);

    /// <summary>The element completed and left its scope; its outgoing flows are taken next.</summary>
    void Left(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node);
}

/// <summary>How arriving tokens wait at an element with several incoming flows.</summary>
internal enum JoinRule
{
    /// <summary>Every token passes on its own.</summary>
    None,

    /// <summary>One token from each incoming flow (the parallel join).</summary>
    AllIncoming,

    /// <summary>The tokens that arrived, once no other token in the scope can still arrive (the inclusive join).</summary>
    Inclusive,

    /// <summary>The tokens that arrived, once an activation condition holds, then a reset (the complex join).</summary>
    Complex,
}
