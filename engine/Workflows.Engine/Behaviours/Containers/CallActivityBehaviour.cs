using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Containers;

/// <summary>
/// A call activity: starts an instance of the called process (by latest version, version tag or
/// deployment) and waits; when that instance completes, the call activity completes with its variables.
/// </summary>
internal sealed class CallActivityBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        var store = execution.Engine.Store;
        var ct = execution.CancellationToken;
        var call = node.Call ?? throw new StepFailedException("the call activity has no called element");
        var scope = new ElementScope(instance.State, element);
        var processId = execution.Expressions.EvaluateString(call.ProcessId, scope, node, "the called element");
        var record = call.Binding switch
        {
            CallBinding.VersionTag => await store.GetDefinitionByVersionTagAsync(processId, call.VersionTag ?? "", ct).ConfigureAwait(false),
            CallBinding.Deployment => await store.GetDefinitionInDeploymentAsync(instance.Definition.Record.DeploymentId, processId, ct).ConfigureAwait(false),
            _ => await store.GetLatestDefinitionAsync(processId, ct).ConfigureAwait(false),
        } ?? throw new StepFailedException(call.Binding switch
        {
            CallBinding.VersionTag => $"no version of process '{processId}' has the version tag '{call.VersionTag}'",
            CallBinding.Deployment => $"process '{processId}' was not deployed together with '{instance.State.ProcessId}'",
            _ => $"process '{processId}' is not deployed",
        });

        var definition = await execution.Engine.Definitions.GetAsync(record.Id, ct).ConfigureAwait(false);
        var start = definition.Process.Root.NoneStart ?? throw new StepFailedException($"process '{processId}' has no none start event to call");
        var variables = call.PropagateAllParentVariables ? scope.Flatten() : (element.Variables ?? []).Copy();
        var child = execution.CreateInstance(definition, instance.State.BusinessKey, variables, instance.Id, element.Key);
        element.CalledInstanceId = child.Id;
        execution.History(instance, HistoryKind.InstanceCalled, node.Id, element.Key, child.Id.ToString());
        await execution.StartAtAsync(child, start, null).ConfigureAwait(false);
    }

    /// <summary>The called instance completed: the call activity completes, with the child's variables when it takes them.</summary>
    public static async ValueTask CalledInstanceCompletedAsync(Execution execution, InstanceState child)
    {
        if (child.ParentInstanceId is { } parentId && child.ParentElementKey is { } callKey)
        {
            var parent = await execution.LoadAsync(parentId).ConfigureAwait(false);
            if (parent.State.Elements.TryGetValue(callKey, out var callElement))
            {
                callElement.CalledInstanceId = null;
                var node = parent.Definition.Node(callElement.ElementId);
                var handBack = node.Call?.PropagateAllChildVariables != false || node.Outputs.Count > 0 ? child.Variables : null;
                execution.EnqueueComplete(parent, callKey, handBack);
            }
        }
    }
}
