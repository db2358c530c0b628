using System.Text.Json;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>A step that cannot go on: becomes an incident on the element, with the state as before the step.</summary>
internal sealed class StepFailedException(string message) : Exception(message);

internal sealed class LoadedInstance(InstanceState state, ProcessDefinition definition, long originalRowVersion)
{
    public InstanceState State { get; } = state;

    public ProcessDefinition Definition { get; } = definition;

    public long OriginalRowVersion { get; } = originalRowVersion;

    public Guid Id => State.Id;

    /// <summary>Set when a terminate end event ended the process scope.</summary>
    public bool TerminatedByEndEvent { get; set; }

    /// <summary>The instance's open clocks as loaded, and those this command started or ended.</summary>
    public List<SlaClockRecord> Clocks { get; } = [];

    public bool ClocksChanged { get; set; }

    /// <summary>The branch and customer as last committed: an ended instance keeps them.</summary>
    public (string? Branch, string? CustomerId) Parties { get; set; }
}

/// <summary>
/// One command: loads the instances it touches, runs their tokens until every token waits or ends,
/// and collects all effects in a <see cref="ChangeSet"/> for the store to commit in one transaction.
/// Nothing here is written anywhere until <see cref="CommitAsync"/>.
/// </summary>
internal sealed partial class Execution
{
    private enum WorkKind
    {
        Activate,
        Complete,
        Arrive,
    }

    private readonly record struct Work(WorkKind Kind, LoadedInstance Instance, long Key, FlowNode? Node, FeelContext? Variables, SequenceFlow? Flow);

    private readonly EngineCore _engine;
    private readonly Dictionary<Guid, LoadedInstance> _instances = [];
    private readonly Queue<Work> _work = new();
    private readonly HashSet<(LoadedInstance Instance, long ScopeKey)> _scopesToCheck = [];
    private readonly CancellationToken _ct;

    public Execution(EngineCore engine, CancellationToken ct)
    {
        _engine = engine;
        _ct = ct;
        Now = engine.Time.GetUtcNow();
    }

    public ChangeSet Changes { get; } = new();

    public DateTimeOffset Now { get; }

    public string? Actor { get; set; }

    /// <summary>The end states of the instances this command ended, for metrics after the commit.</summary>
    public List<ProcessInstanceStatus> EndedInstances { get; } = [];

    private TimeProvider Time => _engine.Time;

    // ---------------------------------------------------------------- loading and committing

    public async ValueTask<LoadedInstance> LoadAsync(Guid instanceId)
    {
        if (_instances.TryGetValue(instanceId, out var loaded))
        {
            return loaded;
        }

        var record = await _engine.Store.GetInstanceAsync(instanceId, _ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process instance {instanceId} does not exist");
        var definition = await _engine.Definitions.GetAsync(record.DefinitionId, _ct).ConfigureAwait(false);

        // Clocks are read after the instance, so that its row version covers what they say.
        var clocks = definition.HasClocks && record.Status == ProcessInstanceStatus.Active
            ? await _engine.Store.GetClocksOfInstancesAsync([instanceId], openOnly: true, _ct).ConfigureAwait(false)
            : [];
        return Adopt(record, definition, clocks);
    }

    private LoadedInstance Adopt(InstanceRecord record, ProcessDefinition definition, IEnumerable<SlaClockRecord> openClocks)
    {
        var loaded = new LoadedInstance(InstanceStateSerializer.Deserialize(record), definition, record.RowVersion) { Parties = (record.Branch, record.CustomerId) };
        if (definition.HasClocks && record.Status == ProcessInstanceStatus.Active)
        {
            loaded.Clocks.AddRange(openClocks);
        }

        _instances[record.Id] = loaded;
        return loaded;
    }

    /// <summary>Loads several instances (with their open clocks and tasks) in three reads, for a command that touches many.</summary>
    public async ValueTask PreloadAsync(IReadOnlyCollection<Guid> instanceIds)
    {
        var missing = instanceIds.Where(id => !_instances.ContainsKey(id)).Distinct().ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var records = await _engine.Store.GetInstancesAsync(missing, _ct).ConfigureAwait(false);
        var clocks = (await _engine.Store.GetClocksOfInstancesAsync(missing, openOnly: true, _ct).ConfigureAwait(false)).ToLookup(c => c.InstanceId);
        foreach (var task in await _engine.Store.GetOpenUserTasksOfInstancesAsync(missing, _ct).ConfigureAwait(false))
        {
            _preloadedTasks[task.Id] = task;
        }

        foreach (var record in records)
        {
            Adopt(record, await _engine.Definitions.GetAsync(record.DefinitionId, _ct).ConfigureAwait(false), clocks[record.Id]);
        }
    }

    public async ValueTask CommitAsync()
    {
        foreach (var instance in _instances.Values.Where(i => i.Definition.HasClocks))
        {
            RefreshTaskClocks(instance);
        }

        CollectClockChanges();
        foreach (var instance in _instances.Values)
        {
            var s = instance.State;
            // Read from the process scope while it lives (its variables may have changed them); an ended instance keeps the last.
            var parties = s.Elements.TryGetValue(InstanceState.RootKey, out var root)
                ? (Branch: Party(instance, root, instance.Definition.Process.Branch), CustomerId: Party(instance, root, instance.Definition.Process.CustomerId))
                : instance.Parties;
            var record = new InstanceRecord(
                s.Id, s.ProcessId, s.DefinitionId, s.Version, s.BusinessKey, s.Status, instance.OriginalRowVersion + 1,
                s.StartedAt, s.EndedAt, s.ParentInstanceId, InstanceStateSerializer.Serialize(s))
            {
                Branch = parties.Branch,
                CustomerId = parties.CustomerId,
            };
            Changes.Instances.Add(new InstanceWrite(record, instance.OriginalRowVersion));
        }

        await _engine.Store.CommitAsync(Changes, _ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- the token loop

    /// <summary>Runs queued work until every token waits or ends, then settles joins and scopes.</summary>
    public async ValueTask RunAsync()
    {
        while (true)
        {
            while (_work.TryDequeue(out var work))
            {
                _ct.ThrowIfCancellationRequested();
                switch (work.Kind)
                {
                    case WorkKind.Activate:
                        await ActivateAsync(work.Instance, work.Key, work.Node!, work.Variables).ConfigureAwait(false);
                        break;
                    case WorkKind.Complete:
                        await CompleteAsync(work.Instance, work.Key, work.Variables).ConfigureAwait(false);
                        break;
                    case WorkKind.Arrive:
                        Arrive(work.Instance, work.Key, work.Flow!);
                        break;
                }
            }

            // Joins and scope ends are decided only when no token is in flight, so that a token
            // still on its way cannot be missed.
            if (!SettleInclusiveJoins() && !await SettleScopesAsync().ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private void Enqueue(WorkKind kind, LoadedInstance instance, long key, FlowNode? node = null, FeelContext? variables = null, SequenceFlow? flow = null) =>
        _work.Enqueue(new Work(kind, instance, key, node, variables, flow));

    public void EnqueueActivate(LoadedInstance instance, long parentKey, FlowNode node, FeelContext? variables = null) =>
        Enqueue(WorkKind.Activate, instance, parentKey, node, variables);

    public void EnqueueComplete(LoadedInstance instance, long key, FeelContext? variables = null) =>
        Enqueue(WorkKind.Complete, instance, key, variables: variables);

    // ---------------------------------------------------------------- starting instances

    public LoadedInstance CreateInstance(ProcessDefinition definition, string? businessKey, FeelContext variables, Guid? parentInstanceId = null, long? parentElementKey = null)
    {
        var state = new InstanceState
        {
            Id = Guid.CreateVersion7(Now),
            ProcessId = definition.Process.Id,
            DefinitionId = definition.Id,
            Version = definition.Record.Version,
            BusinessKey = businessKey,
            Status = ProcessInstanceStatus.Active,
            StartedAt = Now,
            ParentInstanceId = parentInstanceId,
            ParentElementKey = parentElementKey,
            NextKey = InstanceState.RootKey + 1,
            Variables = variables,
        };
        var root = new ElementInstance { Key = InstanceState.RootKey, ElementId = definition.Process.Id, Variables = state.Variables };
        state.Elements[root.Key] = root;
        var instance = new LoadedInstance(state, definition, 0);
        _instances[state.Id] = instance;
        History(instance, "instance-started", null, null, businessKey);
        return instance;
    }

    /// <summary>Starts the process scope at <paramref name="startNode"/>, opening its event sub-process subscriptions first.</summary>
    public async ValueTask StartAtAsync(LoadedInstance instance, FlowNode startNode, FeelContext? triggerVariables)
    {
        var root = instance.State.Elements[InstanceState.RootKey];
        try
        {
            StartClocks(instance, root, instance.Definition.Process.Root);
        }
        catch (StepFailedException e)
        {
            throw new WorkflowInputException($"process '{instance.State.ProcessId}' cannot start: {e.Message}");
        }

        await OpenEventSubProcessWaitsAsync(instance, root, instance.Definition.Process.Root).ConfigureAwait(false);
        EnqueueActivate(instance, root.Key, startNode, triggerVariables);
    }

    // ---------------------------------------------------------------- activation

    private ElementInstance NewElement(LoadedInstance instance, long parentKey, FlowNode node)
    {
        var element = new ElementInstance { Key = instance.State.NextKey++, ElementId = node.Id, ParentKey = parentKey };
        instance.State.Elements[element.Key] = element;
        History(instance, "element-entered", node.Id, element.Key);
        return element;
    }

    private async ValueTask ActivateAsync(LoadedInstance instance, long parentKey, FlowNode node, FeelContext? triggerVariables)
    {
        if (!instance.State.Elements.ContainsKey(parentKey))
        {
            return; // the scope was terminated while this token was queued
        }

        var element = NewElement(instance, parentKey, node);
        if (node.MultiInstance is not null)
        {
            element.IsMultiInstanceBody = true;
        }

        await RunActivationAsync(instance, element, node, triggerVariables).ConfigureAwait(false);
    }

    /// <summary>Input mappings, boundary events, then the element's own behaviour; a failure becomes an incident.</summary>
    private async ValueTask RunActivationAsync(LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? triggerVariables)
    {
        try
        {
            if (!element.IsMultiInstanceInner && instance.Definition.HasClocks)
            {
                StartClocks(instance, element, node);
            }

            if (element.IsMultiInstanceBody)
            {
                await ActivateMultiInstanceBodyAsync(instance, element, node).ConfigureAwait(false);
                return;
            }

            if (node.Inputs.Count > 0)
            {
                var scope = new ElementScope(instance.State, element);
                var locals = new FeelContext(node.Inputs.Count);
                foreach (var mapping in node.Inputs)
                {
                    locals[mapping.Target] = Evaluate(mapping.Source, new ContextScope(locals, scope), node, "an input mapping", nullAllowed: true);
                }

                MergeInto(element, locals);
            }

            if (!element.IsMultiInstanceInner && node.Boundaries.Count > 0)
            {
                await OpenBoundaryWaitsAsync(instance, element, node).ConfigureAwait(false);
            }

            await BehaveAsync(instance, element, node, triggerVariables).ConfigureAwait(false);
        }
        catch (StepFailedException e)
        {
            RaiseIncident(instance, element, IncidentPhase.Activate, e.Message);
        }
    }

    private static void MergeInto(ElementInstance element, FeelContext locals)
    {
        if (element.Variables is null)
        {
            element.Variables = locals;
            return;
        }

        foreach (var (k, v) in locals)
        {
            element.Variables[k] = v;
        }
    }

    private async ValueTask BehaveAsync(LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        switch (node.Kind)
        {
            case NodeKind.StartEvent or NodeKind.BoundaryEvent:
                EnqueueComplete(instance, element.Key, trigger);
                break;

            case NodeKind.EndEvent or NodeKind.IntermediateThrowEvent:
                await ThrowAsync(instance, element, node).ConfigureAwait(false);
                break;

            case NodeKind.IntermediateCatchEvent:
                if (trigger is not null || node.Event?.Type == EventType.Link)
                {
                    EnqueueComplete(instance, element.Key, trigger);
                }
                else
                {
                    await OpenWaitAsync(instance, element, node, node).ConfigureAwait(false);
                }

                break;

            case NodeKind.ReceiveTask:
                if (trigger is not null)
                {
                    EnqueueComplete(instance, element.Key, trigger);
                }
                else
                {
                    await OpenMessageWaitAsync(instance, element, node, node.Message).ConfigureAwait(false);
                }

                break;

            case NodeKind.Task or NodeKind.ManualTask
                or NodeKind.ExclusiveGateway or NodeKind.ParallelGateway or NodeKind.InclusiveGateway:
                EnqueueComplete(instance, element.Key);
                break;

            case NodeKind.UserTask:
                CreateUserTask(instance, element, node);
                break;

            case NodeKind.ServiceTask or NodeKind.BusinessRuleTask:
                await RunServiceTaskAsync(instance, element, node).ConfigureAwait(false);
                break;

            case NodeKind.SendTask:
                if (node.Task is not null)
                {
                    await RunServiceTaskAsync(instance, element, node).ConfigureAwait(false);
                }
                else
                {
                    SendMessage(instance, element, node, node.Message);
                    EnqueueComplete(instance, element.Key);
                }

                break;

            case NodeKind.ScriptTask:
                var script = node.Script ?? throw new StepFailedException("the script task has no script");
                var result = Evaluate(script.Expression, new ElementScope(instance.State, element), node, "script");
                EnqueueComplete(instance, element.Key, new FeelContext { [script.ResultVariable] = result });
                break;

            case NodeKind.EventBasedGateway:
                foreach (var flow in node.Outgoing)
                {
                    await OpenWaitAsync(instance, element, flow.Target, flow.Target).ConfigureAwait(false);
                    if (!instance.State.Elements.ContainsKey(element.Key))
                    {
                        break; // a buffered message resolved the race at once
                    }
                }

                break;

            case NodeKind.SubProcess or NodeKind.Transaction:
                await OpenEventSubProcessWaitsAsync(instance, element, node).ConfigureAwait(false);
                var start = node.NoneStart ?? throw new StepFailedException("the sub-process has no none start event");
                EnqueueActivate(instance, element.Key, start);
                break;

            case NodeKind.CallActivity:
                await CallAsync(instance, element, node).ConfigureAwait(false);
                break;

            default:
                throw new StepFailedException($"{node.ElementName} elements cannot be executed");
        }
    }

    // ---------------------------------------------------------------- completion

    private async ValueTask CompleteAsync(LoadedInstance instance, long key, FeelContext? variables)
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
            flows = element.IsMultiInstanceInner ? [] : SelectFlows(instance, element, node, outputs);
        }
        catch (StepFailedException e)
        {
            RaiseIncident(instance, element, IncidentPhase.Complete, e.Message);
            return;
        }

        ClearIncident(instance, element);
        var propagateFrom = element.ParentKey;
        foreach (var (name, value) in outputs)
        {
            SetVariable(instance, propagateFrom, name, value);
        }

        if (node.SatisfactionScore is not null && !element.IsMultiInstanceBody)
        {
            try
            {
                await RecordSatisfactionAsync(instance, element, node).ConfigureAwait(false);
            }
            catch (StepFailedException e)
            {
                RaiseIncident(instance, element, IncidentPhase.Complete, e.Message);
                return;
            }
        }

        if (element.IsMultiInstanceInner)
        {
            await CompleteInnerInstanceAsync(instance, element, node, variables).ConfigureAwait(false);
            return;
        }

        Leave(instance, element, "element-completed");
        if (node.Kind == NodeKind.EndEvent && node.Event?.Type == EventType.Terminate && element.ParentKey == InstanceState.RootKey)
        {
            instance.TerminatedByEndEvent = true;
        }

        foreach (var flow in flows)
        {
            Enqueue(WorkKind.Arrive, instance, element.ParentKey, flow: flow);
        }

        if (flows.Count == 0)
        {
            _scopesToCheck.Add((instance, element.ParentKey));
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

            foreach (var mapping in node.Outputs)
            {
                outputs.Add((mapping.Target, Evaluate(mapping.Source, scope, node, "an output mapping", nullAllowed: true)));
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

    private List<SequenceFlow> SelectFlows(LoadedInstance instance, ElementInstance element, FlowNode node, List<(string Name, object? Value)> pendingOutputs)
    {
        var outgoing = node.Outgoing;
        if (outgoing.Count == 0 || node.Kind == NodeKind.EventBasedGateway)
        {
            return [];
        }

        if (node.Kind == NodeKind.ParallelGateway || (outgoing.Count == 1 && outgoing[0].Condition is null))
        {
            return outgoing;
        }

        IFeelScope scope = new ElementScope(instance.State, instance.State.Elements[element.ParentKey]);
        if (pendingOutputs.Count > 0)
        {
            var overlay = new FeelContext(pendingOutputs.Count);
            foreach (var (name, value) in pendingOutputs)
            {
                overlay[name] = value;
            }

            scope = new ContextScope(overlay, scope);
        }

        var chosen = new List<SequenceFlow>();
        foreach (var flow in outgoing)
        {
            if (flow == node.DefaultFlow)
            {
                continue;
            }

            if (flow.Condition is null)
            {
                if (node.Kind is NodeKind.ExclusiveGateway or NodeKind.InclusiveGateway)
                {
                    throw new StepFailedException($"the outgoing flow '{flow.Id}' has no condition");
                }

                chosen.Add(flow);
                continue;
            }

            var result = Evaluate(flow.Condition, scope, node, $"the condition of flow '{flow.Id}'");
            if (result is not bool taken)
            {
                throw new StepFailedException($"the condition of flow '{flow.Id}' ({flow.Condition.Text.Trim()}) gave {FeelValue.ToDisplayString(result)}, not a boolean");
            }

            if (taken)
            {
                chosen.Add(flow);
                if (node.Kind == NodeKind.ExclusiveGateway)
                {
                    break;
                }
            }
        }

        if (chosen.Count == 0)
        {
            if (node.DefaultFlow is not null)
            {
                chosen.Add(node.DefaultFlow);
            }
            else if (node.Kind is NodeKind.ExclusiveGateway or NodeKind.InclusiveGateway)
            {
                throw new StepFailedException("no outgoing flow's condition is true and there is no default flow");
            }
        }

        return chosen;
    }

    /// <summary>Removes an element instance that is done, closing its wait points.</summary>
    private void Leave(LoadedInstance instance, ElementInstance element, string historyKind)
    {
        CloseWaits(instance, element);
        if (element.TaskId is { } taskId)
        {
            Changes.TasksClosed.Add((taskId, historyKind == "element-completed" ? Storage.TaskStatus.Completed : Storage.TaskStatus.Cancelled));
            element.TaskId = null;
        }

        if (element.JobId is { } jobId)
        {
            Changes.JobsClosed.Add(jobId);
            element.JobId = null;
        }

        EndClocks(instance, element, completed: historyKind == "element-completed");
        instance.State.Elements.Remove(element.Key);
        History(instance, historyKind, element.ElementId, element.Key);
    }

    // ---------------------------------------------------------------- sequence flows and joins

    private void Arrive(LoadedInstance instance, long scopeKey, SequenceFlow flow)
    {
        if (!instance.State.Elements.TryGetValue(scopeKey, out var scope))
        {
            return;
        }

        var target = flow.Target;
        var joining = target.Incoming.Count > 1 && target.Kind is NodeKind.ParallelGateway or NodeKind.InclusiveGateway;
        if (!joining)
        {
            EnqueueActivate(instance, scopeKey, target);
            return;
        }

        scope.JoinArrivals ??= [];
        if (!scope.JoinArrivals.TryGetValue(target.Id, out var arrived))
        {
            scope.JoinArrivals[target.Id] = arrived = [];
        }

        arrived.Add(flow.Id);
        if (target.Kind == NodeKind.ParallelGateway && target.Incoming.All(f => arrived.Contains(f.Id)))
        {
            foreach (var f in target.Incoming)
            {
                arrived.Remove(f.Id);
            }

            if (arrived.Count == 0)
            {
                scope.JoinArrivals.Remove(target.Id);
            }

            EnqueueActivate(instance, scopeKey, target);
        }
    }

    /// <summary>An inclusive join fires once no token in its scope can still reach it.</summary>
    private bool SettleInclusiveJoins()
    {
        var fired = false;
        foreach (var instance in _instances.Values)
        {
            var state = instance.State;
            if (!state.Elements.Values.Any(e => e.JoinArrivals is { Count: > 0 }))
            {
                continue; // the usual case: nothing waits at a join
            }

            foreach (var scope in state.Elements.Values.Where(e => e.JoinArrivals is { Count: > 0 }).ToList())
            {
                foreach (var (gatewayId, arrived) in scope.JoinArrivals!.ToList())
                {
                    var join = instance.Definition.Node(gatewayId);
                    if (join.Kind != NodeKind.InclusiveGateway || arrived.Count == 0 || CanStillArrive(instance, scope, join))
                    {
                        continue;
                    }

                    foreach (var flowId in arrived.Distinct().ToList())
                    {
                        arrived.Remove(flowId);
                    }

                    if (arrived.Count == 0)
                    {
                        scope.JoinArrivals!.Remove(gatewayId);
                    }

                    EnqueueActivate(instance, scope.Key, join);
                    fired = true;
                }
            }
        }

        return fired;
    }

    private static bool CanStillArrive(LoadedInstance instance, ElementInstance scope, FlowNode join)
    {
        var upstream = join.Upstream!;
        foreach (var element in instance.State.Elements.Values)
        {
            if (element.ParentKey == scope.Key && upstream.Contains(instance.Definition.Node(element.ElementId)))
            {
                return true;
            }
        }

        foreach (var (gatewayId, arrived) in scope.JoinArrivals!)
        {
            if (gatewayId != join.Id && arrived.Count > 0 && upstream.Contains(instance.Definition.Node(gatewayId)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A scope whose last token ended completes: a sub-process continues its parent, the process ends.</summary>
    private async ValueTask<bool> SettleScopesAsync()
    {
        if (_scopesToCheck.Count == 0)
        {
            return false;
        }

        var progressed = false;
        var scopes = _scopesToCheck.ToList();
        _scopesToCheck.Clear();
        foreach (var (instance, scopeKey) in scopes)
        {
            var state = instance.State;
            if (!state.Elements.TryGetValue(scopeKey, out var scope) || HasActiveChildren(state, scopeKey) || scope.JoinArrivals is { Count: > 0 })
            {
                continue;
            }

            progressed = true;
            if (scopeKey == InstanceState.RootKey)
            {
                await CompleteProcessAsync(instance, scope).ConfigureAwait(false);
            }
            else if (!scope.IsMultiInstanceBody)
            {
                EnqueueComplete(instance, scopeKey);
            }
        }

        return progressed;
    }

    private static bool HasActiveChildren(InstanceState state, long scopeKey)
    {
        foreach (var element in state.Elements.Values)
        {
            if (element.ParentKey == scopeKey)
            {
                return true;
            }
        }

        return false;
    }

    private async ValueTask CompleteProcessAsync(LoadedInstance instance, ElementInstance root)
    {
        var state = instance.State;
        CloseWaits(instance, root);
        EndClocks(instance, root, completed: true);
        state.Elements.Remove(root.Key);
        state.Status = instance.TerminatedByEndEvent ? ProcessInstanceStatus.Terminated : ProcessInstanceStatus.Completed;
        state.EndedAt = Now;
        EndedInstances.Add(state.Status);
        History(instance, "instance-completed", null, null, state.Status.ToString());

        if (state.ParentInstanceId is { } parentId && state.ParentElementKey is { } callKey)
        {
            var parent = await LoadAsync(parentId).ConfigureAwait(false);
            if (parent.State.Elements.TryGetValue(callKey, out var callElement))
            {
                callElement.CalledInstanceId = null;
                var node = parent.Definition.Node(callElement.ElementId);
                var handBack = node.Call?.PropagateAllChildVariables != false || node.Outputs.Count > 0 ? state.Variables : null;
                EnqueueComplete(parent, callKey, handBack);
            }
        }
    }

    // ---------------------------------------------------------------- variables and expressions

    /// <summary>Sets a variable in the nearest scope that has it, else on the process (Camunda 8 propagation).</summary>
    private static void SetVariable(LoadedInstance instance, long fromKey, string name, object? value)
    {
        var state = instance.State;
        var key = fromKey;
        while (key != 0 && state.Elements.TryGetValue(key, out var element))
        {
            if (element.Variables is not null && element.Variables.ContainsKey(name))
            {
                element.Variables[name] = value;
                return;
            }

            key = element.ParentKey;
        }

        state.Variables[name] = value;
    }

    /// <summary>
    /// Evaluates an expression of the model. Where a value is needed (a condition, a timer, a name, a
    /// key) a null that FEEL explains with warnings fails the step; a mapping (<paramref name="nullAllowed"/>)
    /// may well map a missing variable to null.
    /// </summary>
    private object? Evaluate(ModelExpression expression, IFeelScope scope, FlowNode node, string what, bool nullAllowed = false) =>
        expression.Feel is null ? expression.Text : Evaluate(expression.Feel, scope, node, what, nullAllowed);

    private object? Evaluate(FeelExpression expression, IFeelScope scope, FlowNode node, string what, bool nullAllowed = false)
    {
        var result = expression.Evaluate(scope, Time);
        if (result.Value is null && result.Warnings.Count > 0 && !nullAllowed)
        {
            throw new StepFailedException($"{what} of {node} ({expression.Text.Trim()}) failed: {string.Join("; ", result.Warnings)}");
        }

        return result.Value;
    }

    private string EvaluateString(ModelExpression expression, IFeelScope scope, FlowNode node, string what)
    {
        var value = Evaluate(expression, scope, node, what);
        return value switch
        {
            string s => s,
            decimal d => FeelValue.FormatNumber(d),
            null => throw new StepFailedException($"{what} of {node} ({expression.Text.Trim()}) gave null"),
            _ => FeelValue.ToFeelString(value) ?? "",
        };
    }

    // ---------------------------------------------------------------- incidents and history

    private void RaiseIncident(LoadedInstance instance, ElementInstance element, IncidentPhase phase, string message)
    {
        if (element.IncidentId is not null)
        {
            return;
        }

        var incident = new IncidentRecord(Guid.CreateVersion7(Now), instance.Id, element.Key, element.ElementId, message, Now, null);
        element.IncidentId = incident.Id;
        element.IncidentPhase = phase;
        Changes.IncidentsCreated.Add(incident);
        History(instance, "incident-raised", element.ElementId, element.Key, message);
        _engine.Log.IncidentRaised(instance.Id, instance.State.BusinessKey, element.ElementId, message);
    }

    public void RaiseJobIncident(LoadedInstance instance, ElementInstance element, string message) =>
        RaiseIncident(instance, element, IncidentPhase.Activate, message);

    private void ClearIncident(LoadedInstance instance, ElementInstance element)
    {
        if (element.IncidentId is { } id)
        {
            Changes.IncidentsResolved.Add((id, Now));
            History(instance, "incident-resolved", element.ElementId, element.Key);
            element.IncidentId = null;
            element.IncidentPhase = IncidentPhase.None;
        }
    }

    /// <summary>Retries the step an incident stopped: the activation or the completion of its element.</summary>
    public async ValueTask RetryIncidentAsync(LoadedInstance instance, ElementInstance element)
    {
        var node = instance.Definition.Node(element.ElementId);
        var phase = element.IncidentPhase;
        ClearIncident(instance, element);
        if (phase == IncidentPhase.Complete)
        {
            EnqueueComplete(instance, element.Key);
            return;
        }

        CloseWaits(instance, element);
        if (element.JobId is { } job)
        {
            Changes.JobsClosed.Add(job);
            element.JobId = null;
        }

        await RunActivationAsync(instance, element, node, null).ConfigureAwait(false);
    }

    public void History(LoadedInstance instance, string kind, string? elementId, long? elementKey, string? detail = null) =>
        Changes.History.Add(new HistoryRecord(instance.Id, Now, kind, elementId, elementKey, Actor, detail));

    private static string ToJson(FeelContext variables) => FeelConvert.ToJson(variables);

    internal static FeelContext VariablesFromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return FeelConvert.FromJson(doc.RootElement) as FeelContext ?? new FeelContext();
    }
}
