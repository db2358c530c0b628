using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Containers;

/// <summary>
/// A call activity: starts an instance of the called process (by latest version, version tag or
/// deployment) and waits; when that instance completes, the call activity completes with its variables.
/// </summary>
/// <remarks>
/// The calling instance's branch (its <c>wf:journey</c> branch) travels with the call, as its variables <c>branch</c>,
/// <c>calendar</c> and <c>branchSettings</c> unless the call's inputs set them: binding <c>latest</c> starts the version
/// the branch pinned (else the latest), <c>versionTag</c> the pinned version when it carries the tag (else the latest
/// with the tag), <c>deployment</c> the version deployed with the caller.
/// </remarks>
internal sealed class CallActivityBehaviour : ElementBehaviour
{
    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        var store = execution.Engine.Store;
        var ct = execution.CancellationToken;
        var call = node.Call ?? throw new StepFailedException("the call activity has no called element");
        var scope = new ElementScope(instance.State, element);
        var processId = execution.Expressions.EvaluateString(call.ProcessId, scope, node, "the called element");
        // The calling instance's branch travels with the call: its pin of the called process chooses the version.
        var branch = await execution.Pins.FindAsync(execution.Expressions.Party(instance, element, instance.Definition.Process.Branch)).ConfigureAwait(false);
        var record = call.Binding switch
        {
            CallBinding.VersionTag => await ByVersionTagAsync(execution, processId, call.VersionTag ?? "", branch).ConfigureAwait(false),

            // The version deployed with the caller: the pin chose the caller's version, and with it this one.
            CallBinding.Deployment => await store.GetDefinitionInDeploymentAsync(instance.Definition.Record.DeploymentId, processId, ct).ConfigureAwait(false),
            _ => await execution.Pins.ResolveAsync(processId, branch).ConfigureAwait(false),
        } ?? throw new StepFailedException(call.Binding switch
        {
            CallBinding.VersionTag => $"no version of process '{processId}' has the version tag '{call.VersionTag}'",
            CallBinding.Deployment => $"process '{processId}' was not deployed together with '{instance.State.ProcessId}'",
            _ when Pins.PinOf(branch, processId) is { } pinned => $"process '{processId}' version {pinned}, which branch '{branch!.Id}' pins, is not deployed",
            _ => $"process '{processId}' is not deployed",
        });

        var definition = await execution.Engine.Definitions.GetAsync(record.Id, ct).ConfigureAwait(false);
        var start = definition.Process.Root.NoneStart ?? throw new StepFailedException($"process '{processId}' has no none start event to call");
        var variables = Pins.Apply(branch, definition.Process, call.PropagateAllParentVariables ? scope.Flatten() : (element.Variables ?? []).Copy());
        var child = execution.CreateInstance(definition, instance.State.BusinessKey, variables, instance.Id, element.Key);
        element.CalledInstanceId = child.Id;
        execution.History(instance, HistoryKind.InstanceCalled, node.Id, element.Key, child.Id.ToString());
        await execution.StartAtAsync(child, start, null).ConfigureAwait(false);
    }

    // The latest version with the tag (Camunda 8), unless the branch pinned a version that carries it: among the versions
    // the model allows, the branch runs the one it approved.
    private static async ValueTask<Storage.DefinitionRecord?> ByVersionTagAsync(Execution execution, string processId, string versionTag, Branch? branch)
    {
        var store = execution.Engine.Store;
        var ct = execution.CancellationToken;
        if (Pins.PinOf(branch, processId) is { } pinned
            && await store.GetDefinitionByVersionAsync(processId, pinned, ct).ConfigureAwait(false) is { } record
            && record.VersionTag == versionTag)
        {
            return record;
        }

        return await store.GetDefinitionByVersionTagAsync(processId, versionTag, ct).ConfigureAwait(false);
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
