using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours;

/// <summary>The usual answers, so that a behaviour states only what it does differently: conditional flows, no join, nothing on leaving.</summary>
internal abstract class ElementBehaviour : IElementBehaviour
{
    public virtual FlowRule Flows => FlowRule.Conditional;

    public virtual JoinRule Join => JoinRule.None;

    public abstract ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger);

    public virtual ValueTask<bool> TriggeredAsync(Execution execution, LoadedInstance instance, ElementInstance owner, FlowNode catchNode, FeelContext? variables) =>
        ValueTask.FromResult(false);

    public virtual ValueTask<bool> ChildrenEndedAsync(Execution execution, LoadedInstance instance, ElementInstance scope, FlowNode node) =>
        ValueTask.FromResult(false);

    public virtual void Left(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node)
    {
    }
}
