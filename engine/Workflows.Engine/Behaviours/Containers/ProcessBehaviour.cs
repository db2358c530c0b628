using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Containers;

/// <summary>
/// The process scope: a command starts it at a start event (after its event sub-processes' waits
/// open); it completes when its last token ended, and hands its variables back to a calling activity.
/// </summary>
internal static class ProcessBehaviour
{
    /// <summary>
    /// Starts the process scope at <paramref name="startNode"/>, opening its event sub-process subscriptions first. A scope
    /// that cannot open holds the start with an incident on the process scope, or, when <paramref name="refuseWhenScopeFails"/>
    /// (a start whose caller supplied every variable the scope can read), refuses it with a <see cref="WorkflowInputException"/>.
    /// </summary>
    public static async ValueTask StartAsync(Execution execution, LoadedInstance instance, FlowNode startNode, FeelContext? triggerVariables, bool refuseWhenScopeFails)
    {
        var root = instance.State.Elements[InstanceState.RootKey];
        try
        {
            await OpenScopeAsync(execution, instance, root).ConfigureAwait(false);
        }
        catch (StepFailedException e) when (refuseWhenScopeFails)
        {
            // An API start: the caller gave the variables the scope reads, so a key or timer that cannot be evaluated is its
            // input to correct and send again, answered at once with nothing created. (Camunda 8 creates the instance with an
            // incident here too; a start refused whole is the clearer answer to the one who can fix it.)
            throw new WorkflowInputException($"process '{instance.State.ProcessId}' cannot start: {e.Message}");
        }
        catch (StepFailedException e)
        {
            // A message, timer or signal (or a calling instance) started it: the event happened and is taken once, and no
            // publisher can mend the model or the variables. As in Camunda 8 (the process element's activation opens its
            // event sub-process subscriptions before the start event runs, and a failing correlation key is an incident
            // on the process instance), the instance starts and waits at its start event, with the event's variables kept
            // there, until someone sets what is missing and retries the incident (RetryStartAsync).
            var held = execution.Elements.NewElement(instance, root.Key, startNode);
            if (triggerVariables is { Count: > 0 })
            {
                held.Variables = triggerVariables.Copy();
            }

            execution.Incidents.Raise(instance, root, IncidentPhase.Activate, e.Message);
            return;
        }

        execution.EnqueueActivate(instance, root.Key, startNode, triggerVariables);
    }

    /// <summary>
    /// Retries a start held by an incident on the process scope: the scope's waits open again, and the start event held
    /// since runs with the variables its event brought, as the start would have gone on.
    /// </summary>
    public static async ValueTask RetryStartAsync(Execution execution, LoadedInstance instance, ElementInstance root)
    {
        var held = HeldStart(instance);

        // The waits the failed attempt opened before the one that failed are opened again with the rest.
        execution.Waits.CloseWaits(root);
        try
        {
            await OpenScopeAsync(execution, instance, root).ConfigureAwait(false);
        }
        catch (StepFailedException e)
        {
            execution.Incidents.Raise(instance, root, IncidentPhase.Activate, e.Message);
            return;
        }

        if (held is null)
        {
            execution.Tokens.CheckScope(instance, root.Key); // the held start was removed meanwhile (a modification)
            return;
        }

        var trigger = held.Variables;
        held.Variables = null; // the event's variables go out through the start event's completion, not as its locals
        await execution.Elements.RunActivationAsync(instance, held, instance.Definition.Node(held.ElementId), trigger).ConfigureAwait(false);
    }

    // The process's listeners and its event sub-processes' waits; a key, timer or condition that cannot be evaluated fails.
    private static async ValueTask OpenScopeAsync(Execution execution, LoadedInstance instance, ElementInstance root)
    {
        foreach (var listener in execution.Listeners)
        {
            listener.OnActivating(instance, root, instance.Definition.Process.Root);
        }

        await execution.Waits.OpenEventSubProcessWaitsAsync(instance, root, instance.Definition.Process.Root).ConfigureAwait(false);
    }

    // The start event a failed opening of the scope held: a start event of the process itself (an event sub-process's start
    // is never an element of the process scope) that no incident of its own stopped.
    private static ElementInstance? HeldStart(LoadedInstance instance)
    {
        foreach (var child in ElementTree.Children(instance.State, InstanceState.RootKey))
        {
            var node = instance.Definition.Node(child.ElementId);
            if (node.Kind == NodeKind.StartEvent && node.Parent == instance.Definition.Process.Root && child.IncidentId is null)
            {
                return child;
            }
        }

        return null;
    }

    /// <summary>The last token of the process scope ended: the instance is completed (or terminated by a terminate end event).</summary>
    public static async ValueTask CompleteAsync(Execution execution, LoadedInstance instance, ElementInstance root)
    {
        var state = instance.State;
        execution.Waits.CloseWaits(root);
        foreach (var listener in execution.Listeners)
        {
            listener.OnLeaving(instance, root, completed: true);
        }

        execution.Unit.KeepParties(instance, root);
        state.Elements.Remove(root.Key);
        state.Compensations = null; // nothing is compensated once the instance has ended
        state.Status = instance.TerminatedByEndEvent ? ProcessInstanceStatus.Terminated : ProcessInstanceStatus.Completed;
        state.EndedAt = execution.Now;
        execution.EndedInstances.Add(state.Status);
        execution.History(instance, HistoryKind.InstanceCompleted, null, null, state.Status.ToString());

        await CallActivityBehaviour.CalledInstanceCompletedAsync(execution, state).ConfigureAwait(false);
        await execution.MessageStarts.InstanceEndedAsync(instance).ConfigureAwait(false);
    }
}
