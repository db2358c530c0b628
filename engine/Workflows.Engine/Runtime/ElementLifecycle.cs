using Workflows.Engine.Behaviours;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// What happens to every element instance whatever its kind: it enters, maps its inputs, opens its
/// boundary events and hands over to its behaviour; it completes, maps its outputs and takes its
/// outgoing flows; or it is terminated with everything inside it.
/// </summary>
internal sealed class ElementLifecycle(Execution execution)
{
    private DateTimeOffset Now => execution.Unit.Now;

    // ---------------------------------------------------------------- activation

    public ElementInstance NewElement(LoadedInstance instance, long parentKey, FlowNode node)
    {
        var element = new ElementInstance { Key = instance.State.NextKey++, ElementId = node.Id, ParentKey = parentKey };
        instance.State.Elements[element.Key] = element;
        execution.Unit.History(instance, HistoryKind.ElementEntered, node.Id, element.Key);
        return element;
    }

    public async ValueTask ActivateAsync(LoadedInstance instance, long parentKey, FlowNode node, FeelContext? triggerVariables)
    {
        if (!instance.State.Elements.TryGetValue(parentKey, out var parent) || parent.Interrupted)
        {
            return; // the scope was terminated, or an interrupting event sub-process took it over, while this token was queued
        }

        var element = NewElement(instance, parentKey, node);
        if (node.IsLoop)
        {
            element.IsMultiInstanceBody = true;
        }

        await RunActivationAsync(instance, element, node, triggerVariables).ConfigureAwait(false);
    }

    /// <summary>Input mappings, boundary events, then the element's own behaviour; a failure becomes an incident.</summary>
    public async ValueTask RunActivationAsync(LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? triggerVariables)
    {
        try
        {
            execution.Budget.Pass(instance, node);
            foreach (var listener in execution.Listeners)
            {
                listener.OnActivating(instance, element, node);
            }

            if (element.IsMultiInstanceBody)
            {
                await execution.MultiInstances.ActivateBodyAsync(instance, element, node).ConfigureAwait(false);
                return;
            }

            MapInputs(instance, element, node);

            if (!element.IsMultiInstanceInner && node.Boundaries.Count > 0)
            {
                await execution.Waits.OpenBoundaryWaitsAsync(instance, element, node).ConfigureAwait(false);
                if (!instance.State.Elements.ContainsKey(element.Key))
                {
                    return; // a buffered message interrupted it at once: no task or job for an activity that has left
                }
            }

            await ElementBehaviours.For(node).ActivateAsync(execution, instance, element, node, triggerVariables).ConfigureAwait(false);
        }
        catch (StepFailedException e)
        {
            execution.Incidents.Raise(instance, element, IncidentPhase.Activate, e.Message);
        }
    }

    private void MapInputs(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        if (node.Inputs.Count == 0)
        {
            return;
        }

        var scope = new ElementScope(instance.State, element);
        var locals = new FeelContext(node.Inputs.Count);
        foreach (var mapping in node.Inputs)
        {
            var visible = new ContextScope(locals, scope);
            var (name, value) = VariableScopes.MappedValue(mapping.Target, execution.Expressions.Evaluate(mapping.Source, visible, node, "an input mapping", nullAllowed: true, named: mapping.Target), visible);
            locals[name] = value;
        }

        VariableScopes.MergeInto(element, locals);
    }

    /// <summary>
    /// Enters a sub-process as the scope of an element a modification activates inside it: listeners, input mappings,
    /// boundary events and event sub-processes, but not its start event. A failure is the caller's to report.
    /// </summary>
    public async ValueTask EnterScopeAsync(LoadedInstance instance, ElementInstance scope, FlowNode node)
    {
        foreach (var listener in execution.Listeners)
        {
            listener.OnActivating(instance, scope, node);
        }

        MapInputs(instance, scope, node);
        if (node.Boundaries.Count > 0)
        {
            await execution.Waits.OpenBoundaryWaitsAsync(instance, scope, node).ConfigureAwait(false);
        }

        await execution.Waits.OpenEventSubProcessWaitsAsync(instance, scope, node).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- completion

    public async ValueTask CompleteAsync(LoadedInstance instance, long key, FeelContext? variables)
    {
        if (!instance.State.Elements.TryGetValue(key, out var element))
        {
            return; // terminated while queued
        }

        var node = instance.Definition.Node(element.ElementId);
        List<(string Name, object? Value)> outputs;
        List<SequenceFlow> flows;
        try
        {
            outputs = ComputeOutputs(instance, element, node, variables);
            flows = element.IsMultiInstanceInner ? [] : execution.Flows.Select(instance, element, node, outputs);
        }
        catch (StepFailedException e)
        {
            execution.Incidents.Raise(instance, element, IncidentPhase.Complete, e.Message);
            return;
        }

        if (element.IncidentId is not null)
        {
            execution.Incidents.Clear(instance, element);
        }

        // Without output mappings the completion's variables are merged from the element's own scope, as Zeebe's
        // mergeDocument does: a name the element holds locally (an input mapping's target; an inner multi-instance
        // element's input element, loop counter and output element) is updated there and ends with it; any other
        // name goes up to the nearest scope that has it, else to the process. An output mapping's results go to the
        // enclosing scope.
        var propagateFrom = element.IsMultiInstanceInner || (node.Outputs.Count == 0 && !element.IsMultiInstanceBody) ? element.Key : element.ParentKey;
        foreach (var (name, value) in outputs)
        {
            VariableScopes.SetVariable(instance, propagateFrom, name, value);
        }

        if (!element.IsMultiInstanceBody)
        {
            try
            {
                foreach (var listener in execution.Listeners)
                {
                    await listener.OnCompletingAsync(instance, element, node).ConfigureAwait(false);
                }
            }
            catch (StepFailedException e)
            {
                execution.Incidents.Raise(instance, element, IncidentPhase.Complete, e.Message);
                return;
            }
        }

        Compensations.Completed(instance, element, node);
        if (element.IsMultiInstanceInner)
        {
            await execution.MultiInstances.CompleteInnerAsync(instance, element, node, variables).ConfigureAwait(false);
            return;
        }

        Leave(instance, element, HistoryKind.ElementCompleted);
        ElementBehaviours.Find(node)?.Left(execution, instance, element, node);

        foreach (var flow in flows)
        {
            execution.Tokens.EnqueueArrive(instance, element.ParentKey, flow);
        }

        // An ad-hoc sub-process looks at its completion condition after each inner element completes.
        if (flows.Count == 0 || node.Parent?.Kind == NodeKind.AdHocSubProcess)
        {
            execution.Tokens.CheckScope(instance, element.ParentKey);
        }
    }

    private List<(string Name, object? Value)> ComputeOutputs(LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? variables)
    {
        var outputs = new List<(string, object?)>();
        if (element.IsMultiInstanceBody)
        {
            // The body hands its output collection to the enclosing scope.
            if (node.MultiInstance?.OutputCollection is { } name && element.Variables is not null)
            {
                outputs.Add((name, element.Variables[name]));
            }

            return outputs;
        }

        if (node.Outputs.Count > 0)
        {
            IFeelScope scope = new ElementScope(instance.State, element);
            if (variables is not null)
            {
                scope = new ContextScope(variables, scope);
            }

            // A target path (z.x) merges into z as the scope the result goes to holds it, not as the element sees it:
            // the element's own z (an input mapping's local) never reaches the parent (Zeebe takes the base of a nested
            // output target from the parent scope). An inner multi-instance element's results stay in it, so its own z is the base.
            var into = element.IsMultiInstanceInner ? scope : ParentScope(instance, element);
            var mapped = new FeelContext(node.Outputs.Count);
            foreach (var mapping in node.Outputs)
            {
                // Each source sees the results of the earlier mappings first (Zeebe's applyOutputMappings), as inputs do.
                var visible = new ContextScope(mapped, scope);
                var (name, value) = VariableScopes.MappedValue(mapping.Target, execution.Expressions.Evaluate(mapping.Source, visible, node, "an output mapping", nullAllowed: true, named: mapping.Target), new ContextScope(mapped, into));
                mapped[name] = value;
                outputs.RemoveAll(o => o.Item1 == name);
                outputs.Add((name, value));
            }

            return outputs;
        }

        if (variables is not null)
        {
            foreach (var (k, v) in variables)
            {
                outputs.Add((k, v));
            }
        }

        return outputs;
    }

    // The variables as the element's enclosing scope sees them: its parent's, then up to the process's.
    private static IFeelScope ParentScope(LoadedInstance instance, ElementInstance element) =>
        instance.State.Elements.TryGetValue(element.ParentKey, out var parent)
            ? new ElementScope(instance.State, parent)
            : new ContextScope(instance.State.Variables, null);

    /// <summary>Removes an element instance that is done, closing its wait points; the history kind says how it ended (completed, terminated or interrupted).</summary>
    public void Leave(LoadedInstance instance, ElementInstance element, HistoryKind historyKind)
    {
        var completed = historyKind == HistoryKind.ElementCompleted;
        execution.Waits.CloseWaits(element);
        if (element.TaskId is { } taskId)
        {
            execution.Unit.Changes.TasksClosed.Add((taskId, completed ? Storage.TaskStatus.Completed : Storage.TaskStatus.Cancelled));
            element.TaskId = null;
        }

        if (element.JobId is { } jobId)
        {
            execution.Unit.Changes.JobsClosed.Add(jobId);
            element.JobId = null;
        }

        foreach (var listener in execution.Listeners)
        {
            listener.OnLeaving(instance, element, completed);
        }

        if (element.Key == InstanceState.RootKey)
        {
            execution.Unit.KeepParties(instance, element);
        }

        instance.State.Elements.Remove(element.Key);
        execution.Unit.History(instance, historyKind, element.ElementId, element.Key);
    }

    // ---------------------------------------------------------------- termination

    /// <summary>Ends an element instance and everything inside it: child tokens, tasks, jobs, waits, called instances.</summary>
    public async ValueTask TerminateAsync(LoadedInstance instance, ElementInstance element, HistoryKind? how = null)
    {
        var historyKind = how ?? HistoryKind.ElementTerminated;
        foreach (var child in ElementTree.Children(instance.State, element.Key))
        {
            await TerminateAsync(instance, child, historyKind == HistoryKind.ElementInterrupted ? HistoryKind.ElementTerminated : historyKind).ConfigureAwait(false);
        }

        if (element.CalledInstanceId is { } calledId)
        {
            var called = await execution.Unit.LoadAsync(calledId).ConfigureAwait(false);
            await TerminateInstanceAsync(called, ProcessInstanceStatus.Terminated).ConfigureAwait(false);
        }

        if (element.IncidentId is { } incident)
        {
            execution.Unit.Changes.IncidentsResolved.Add((incident, Now));
            element.IncidentId = null;
        }

        Compensations.Terminated(instance, element);
        Leave(instance, element, historyKind);
    }

    /// <summary>Ends a whole instance without handing anything back to a caller.</summary>
    public async ValueTask TerminateInstanceAsync(LoadedInstance instance, ProcessInstanceStatus status)
    {
        var state = instance.State;
        if (state.Status != ProcessInstanceStatus.Active)
        {
            return;
        }

        if (state.Elements.TryGetValue(InstanceState.RootKey, out var root))
        {
            await TerminateAsync(instance, root).ConfigureAwait(false);
        }

        state.Elements.Clear();
        state.Compensations = null;
        state.Status = status;
        state.EndedAt = Now;
        execution.Unit.EndedInstances.Add(status);
        execution.Unit.History(instance, HistoryKind.InstanceEnded(status), null, null);
        await execution.MessageStarts.InstanceEndedAsync(instance).ConfigureAwait(false);
    }
}
