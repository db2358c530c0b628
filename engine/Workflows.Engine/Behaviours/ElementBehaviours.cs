using System.Collections.Frozen;
using Workflows.Engine.Behaviours.Containers;
using Workflows.Engine.Behaviours.Events;
using Workflows.Engine.Behaviours.Gateways;
using Workflows.Engine.Behaviours.Tasks;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours;

/// <summary>
/// The one table of what each element kind does. Adding an element kind is a behaviour here plus
/// its parser and validator entries; a kind missing from the table cannot be executed (an incident).
/// </summary>
internal static class ElementBehaviours
{
    private static readonly FrozenDictionary<NodeKind, IElementBehaviour> s_byKind = new Dictionary<NodeKind, IElementBehaviour>
    {
        // tasks
        [NodeKind.Task] = new PlainTaskBehaviour(),
        [NodeKind.ManualTask] = new PlainTaskBehaviour(),
        [NodeKind.UserTask] = new UserTaskBehaviour(),
        [NodeKind.ServiceTask] = new ServiceTaskBehaviour(),
        [NodeKind.BusinessRuleTask] = new BusinessRuleTaskBehaviour(),
        [NodeKind.SendTask] = new SendTaskBehaviour(),
        [NodeKind.ScriptTask] = new ScriptTaskBehaviour(),
        [NodeKind.ReceiveTask] = new ReceiveTaskBehaviour(),

        // gateways
        [NodeKind.ExclusiveGateway] = new ExclusiveGatewayBehaviour(),
        [NodeKind.InclusiveGateway] = new InclusiveGatewayBehaviour(),
        [NodeKind.ParallelGateway] = new ParallelGatewayBehaviour(),
        [NodeKind.EventBasedGateway] = new EventBasedGatewayBehaviour(),
        [NodeKind.ComplexGateway] = new ComplexGatewayBehaviour(),

        // events
        [NodeKind.StartEvent] = new StartEventBehaviour(),
        [NodeKind.EndEvent] = new EndEventBehaviour(),
        [NodeKind.IntermediateCatchEvent] = new IntermediateCatchEventBehaviour(),
        [NodeKind.IntermediateThrowEvent] = new IntermediateThrowEventBehaviour(),
        [NodeKind.BoundaryEvent] = new BoundaryEventBehaviour(),

        // containers
        [NodeKind.SubProcess] = new SubProcessBehaviour(),
        [NodeKind.Transaction] = new TransactionBehaviour(),
        [NodeKind.CallActivity] = new CallActivityBehaviour(),
        [NodeKind.AdHocSubProcess] = new AdHocSubProcessBehaviour(),
    }.ToFrozenDictionary();

    /// <summary>The behaviour of <paramref name="node"/>'s kind; a kind without one fails the step.</summary>
    public static IElementBehaviour For(FlowNode node) =>
        s_byKind.TryGetValue(node.Kind, out var behaviour) ? behaviour : throw new StepFailedException($"{node.ElementName} elements cannot be executed");

    public static IElementBehaviour? Find(FlowNode node) => s_byKind.GetValueOrDefault(node.Kind);

    public static FlowRule FlowRuleOf(FlowNode node) => Find(node)?.Flows ?? FlowRule.Conditional;

    public static JoinRule JoinOf(FlowNode node) => Find(node)?.Join ?? JoinRule.None;
}
