using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// A module's seam into the core: told as elements activate, complete and leave, and before the
/// command commits. The service-level clocks and satisfaction plug in here, so the token loop knows
/// nothing of them. A <see cref="StepFailedException"/> from a listener fails the step like the
/// element's own behaviour would (an incident).
/// </summary>
internal interface IElementLifecycleListener
{
    /// <summary>
    /// An element (or the process scope) is activating, before its input mappings; for a multi-instance activity,
    /// called for its body and then for each inner instance (<see cref="ElementInstance.IsMultiInstanceInner"/>).
    /// </summary>
    void OnActivating(LoadedInstance instance, ElementInstance element, FlowNode node);

    /// <summary>An element completes: its outputs are set, it has not left yet; not called for a multi-instance body.</summary>
    ValueTask OnCompletingAsync(LoadedInstance instance, ElementInstance element, FlowNode node);

    /// <summary>An element instance (or the process scope) leaves: <paramref name="completed"/>, or terminated or interrupted.</summary>
    void OnLeaving(LoadedInstance instance, ElementInstance element, bool completed);

    /// <summary>Before the command's change set is written: last chance to add to it.</summary>
    void OnCommitting(LoadedInstanceSet instances);
}
