using System.Text.Json;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

internal sealed partial class Execution
{
    // ---------------------------------------------------------------- wait points

    /// <summary>Opens the wait of a catch node (timer, message, signal), owned by <paramref name="owner"/>.</summary>
    private async ValueTask OpenWaitAsync(LoadedInstance instance, ElementInstance owner, FlowNode ownerNode, FlowNode catchNode)
    {
        var e = catchNode.Event;
        if (catchNode.Kind == NodeKind.ReceiveTask)
        {
            await OpenMessageWaitAsync(instance, owner, catchNode, catchNode.Message).ConfigureAwait(false);
            return;
        }

        switch (e?.Type)
        {
            case EventType.Timer:
                OpenTimer(instance, owner, catchNode, e.Timer!);
                break;
            case EventType.Message:
                await OpenMessageWaitAsync(instance, owner, catchNode, e.Message).ConfigureAwait(false);
                break;
            case EventType.Signal:
                var name = EvaluateString(e.Signal!.Name, new ElementScope(instance.State, owner), catchNode, "the signal name");
                var subscription = new SignalSubscriptionRecord(Guid.CreateVersion7(Now), instance.Id, owner.Key, catchNode.Id, instance.Definition.Id, name);
                Changes.SignalSubscriptionsCreated.Add(subscription);
                owner.AddWait(WaitKind.Signal, subscription.Id, catchNode.Id);
                break;
            case EventType.Error or EventType.Escalation:
                break; // caught when thrown; nothing to open
            default:
                throw new StepFailedException($"{catchNode} has no event this engine can wait for");
        }
    }

    private void OpenTimer(LoadedInstance instance, ElementInstance owner, FlowNode catchNode, TimerDefinition timer)
    {
        var value = Evaluate(timer.Value, new ElementScope(instance.State, owner), catchNode, "the timer");
        var plan = TimerSchedule.Plan(timer.Kind, value, Now, out var error)
            ?? throw new StepFailedException($"the timer of {catchNode} is not valid: {error}");
        AddTimer(instance, owner, catchNode.Id, plan.Due, plan.Interval, plan.RemainingAfterFirst);
    }

    private void AddTimer(LoadedInstance instance, ElementInstance owner, string catchNodeId, DateTimeOffset due, TimeSpan? interval, int remaining)
    {
        var record = new TimerRecord(Guid.CreateVersion7(Now), instance.Id, owner.Key, catchNodeId, instance.Definition.Id, due, interval, remaining);
        Changes.TimersCreated.Add(record);
        owner.AddWait(WaitKind.Timer, record.Id, catchNodeId);
    }

    private async ValueTask OpenMessageWaitAsync(LoadedInstance instance, ElementInstance owner, FlowNode catchNode, MessageDefinition? message)
    {
        if (message is null)
        {
            throw new StepFailedException($"{catchNode} has no message");
        }

        var scope = new ElementScope(instance.State, owner);
        var name = EvaluateString(message.Name, scope, catchNode, "the message name");
        var key = message.CorrelationKey is null ? "" : EvaluateString(message.CorrelationKey, scope, catchNode, "the correlation key");
        var subscription = new MessageSubscriptionRecord(Guid.CreateVersion7(Now), instance.Id, owner.Key, catchNode.Id, instance.Definition.Id, name, key, Now);
        Changes.MessageSubscriptionsCreated.Add(subscription);
        owner.AddWait(WaitKind.Message, subscription.Id, catchNode.Id);

        // A message published before this subscription opened waits in the buffer (Camunda 8 semantics).
        var buffered = await _engine.Store.FindBufferedMessagesAsync(name, key, instance.Id, Now, _ct).ConfigureAwait(false);
        if (buffered.Count > 0)
        {
            var first = buffered.OrderBy(m => m.PublishedAt).First();
            Changes.MessageCorrelations.Add((first.Id, instance.Id));
            History(instance, "message-correlated", catchNode.Id, owner.Key, $"{name} (buffered)");
            await TriggerWaitAsync(instance, owner, new WaitRef(WaitKind.Message, subscription.Id, catchNode.Id), VariablesFromJson(first.VariablesJson)).ConfigureAwait(false);
        }
    }

    private async ValueTask OpenBoundaryWaitsAsync(LoadedInstance instance, ElementInstance activity, FlowNode node)
    {
        foreach (var boundary in node.Boundaries)
        {
            if (boundary.Event?.Type is EventType.Timer or EventType.Message or EventType.Signal)
            {
                await OpenWaitAsync(instance, activity, node, boundary).ConfigureAwait(false);
                if (!instance.State.Elements.ContainsKey(activity.Key))
                {
                    return; // a buffered message interrupted the activity at once
                }
            }
        }
    }

    private async ValueTask OpenEventSubProcessWaitsAsync(LoadedInstance instance, ElementInstance scope, FlowNode scopeNode)
    {
        foreach (var eventSubProcess in scopeNode.EventSubProcesses)
        {
            foreach (var start in eventSubProcess.Children.Where(c => c.Kind == NodeKind.StartEvent && c.Event is not null))
            {
                if (start.Event!.Type is EventType.Timer or EventType.Message or EventType.Signal)
                {
                    await OpenWaitAsync(instance, scope, scopeNode, start).ConfigureAwait(false);
                }
            }
        }
    }

    private void CloseWaits(LoadedInstance instance, ElementInstance element)
    {
        if (element.Waits is null)
        {
            return;
        }

        foreach (var wait in element.Waits)
        {
            RemoveWaitRow(wait);
        }

        element.Waits = null;
    }

    // An interrupting event sub-process ends the other event sub-processes' waits, but not the
    // boundary events of the scope itself (those belong to the enclosing scope's flow).
    private void CloseEventSubProcessWaits(LoadedInstance instance, ElementInstance scope)
    {
        if (scope.Waits is null)
        {
            return;
        }

        foreach (var wait in scope.Waits.ToList())
        {
            if (instance.Definition.Node(wait.ElementId).Parent is { TriggeredByEvent: true })
            {
                RemoveWaitRow(wait);
                scope.Waits.Remove(wait);
            }
        }
    }

    private void RemoveWaitRow(WaitRef wait)
    {
        switch (wait.Kind)
        {
            case WaitKind.Timer:
                Changes.TimersRemoved.Add(wait.Id);
                break;
            case WaitKind.Message:
                Changes.MessageSubscriptionsRemoved.Add(wait.Id);
                break;
            case WaitKind.Signal:
                Changes.SignalSubscriptionsRemoved.Add(wait.Id);
                break;
        }
    }

    /// <summary>
    /// A timer fired, a message or signal arrived for a wait owned by <paramref name="owner"/>: route it
    /// to the boundary event, event sub-process, event-based gateway branch or waiting catch event.
    /// </summary>
    public async ValueTask TriggerWaitAsync(LoadedInstance instance, ElementInstance owner, WaitRef wait, FeelContext? variables, TimerRecord? firedTimer = null)
    {

        var definition = instance.Definition;
        var catchNode = definition.Node(wait.ElementId);
        owner.Waits?.Remove(wait);
        RemoveWaitRow(wait);

        // A cycle on a non-interrupting catch repeats: plan the next firing before anything else moves.
        if (firedTimer is { Interval: { } interval } && firedTimer.Remaining != 0 && !IsInterrupting(catchNode))
        {
            AddTimer(instance, owner, catchNode.Id, firedTimer.DueAt + interval, interval, firedTimer.Remaining > 0 ? firedTimer.Remaining - 1 : -1);
        }

        if (catchNode.Kind == NodeKind.BoundaryEvent)
        {
            History(instance, "boundary-triggered", catchNode.Id, owner.Key);
            if (catchNode.IsInterrupting)
            {
                await TerminateAsync(instance, owner, "element-interrupted").ConfigureAwait(false);
            }

            EnqueueActivate(instance, owner.ParentKey, catchNode, variables ?? []);
            return;
        }

        if (catchNode.Kind == NodeKind.StartEvent && catchNode.Parent is { TriggeredByEvent: true } eventSubProcess)
        {
            await StartEventSubProcessAsync(instance, owner, eventSubProcess, catchNode, variables).ConfigureAwait(false);
            return;
        }

        if (owner.ElementId != catchNode.Id)
        {
            // An event-based gateway: the first event wins and closes the others.
            CloseWaits(instance, owner);
            Leave(instance, owner, "element-completed");
            EnqueueActivate(instance, owner.ParentKey, catchNode, variables ?? []);
            return;
        }

        EnqueueComplete(instance, owner.Key, variables);
    }

    private static bool IsInterrupting(FlowNode node) =>
        node.Kind is NodeKind.BoundaryEvent or NodeKind.StartEvent ? node.IsInterrupting : true;

    private async ValueTask StartEventSubProcessAsync(LoadedInstance instance, ElementInstance scope, FlowNode eventSubProcess, FlowNode start, FeelContext? variables)
    {
        if (scope.Interrupted)
        {
            return;
        }

        if (start.IsInterrupting)
        {
            scope.Interrupted = true;
            CloseEventSubProcessWaits(instance, scope);
            scope.JoinArrivals = null;
            foreach (var child in Children(instance.State, scope.Key))
            {
                await TerminateAsync(instance, child, "element-interrupted").ConfigureAwait(false);
            }
        }

        var element = NewElement(instance, scope.Key, eventSubProcess);
        await OpenEventSubProcessWaitsAsync(instance, element, eventSubProcess).ConfigureAwait(false);
        EnqueueActivate(instance, element.Key, start, variables ?? []);
    }

    private static List<ElementInstance> Children(InstanceState state, long parentKey)
    {
        var children = new List<ElementInstance>();
        foreach (var element in state.Elements.Values)
        {
            if (element.ParentKey == parentKey)
            {
                children.Add(element);
            }
        }

        return children;
    }

    // ---------------------------------------------------------------- termination

    /// <summary>Ends an element instance and everything inside it: child tokens, tasks, jobs, waits, called instances.</summary>
    public async ValueTask TerminateAsync(LoadedInstance instance, ElementInstance element, string historyKind = "element-terminated")
    {
        foreach (var child in Children(instance.State, element.Key))
        {
            await TerminateAsync(instance, child, historyKind == "element-interrupted" ? "element-terminated" : historyKind).ConfigureAwait(false);
        }

        if (element.CalledInstanceId is { } calledId)
        {
            var called = await LoadAsync(calledId).ConfigureAwait(false);
            await TerminateInstanceAsync(called, ProcessInstanceStatus.Terminated).ConfigureAwait(false);
        }

        if (element.IncidentId is { } incident)
        {
            Changes.IncidentsResolved.Add((incident, Now));
            element.IncidentId = null;
        }

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
        state.Status = status;
        state.EndedAt = Now;
        EndedInstances.Add(status);
        History(instance, "instance-" + status.ToString().ToLowerInvariant(), null, null);
    }

    // ---------------------------------------------------------------- tasks and jobs

    private void CreateUserTask(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var spec = node.UserTask ?? new UserTaskDefinition();
        var scope = new ElementScope(instance.State, element);
        string? Text(ModelExpression? e, string what) => e is null ? null : EvaluateString(e, scope, node, what);
        List<string> List(ModelExpression? e, string what)
        {
            if (e is null)
            {
                return [];
            }

            var value = Evaluate(e, scope, node, what);
            return value switch
            {
                List<object?> list => list.Select(x => FeelValue.ToFeelString(x) ?? "").Where(x => x.Length > 0).ToList(),
                string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
                null => [],
                _ => throw new StepFailedException($"{what} of {node} gave {FeelValue.ToDisplayString(value)}, not a list or a comma-separated text"),
            };
        }

        DateTimeOffset? Date(ModelExpression? e, string what)
        {
            if (e is null)
            {
                return null;
            }

            var value = Evaluate(e, scope, node, what);
            var plan = TimerSchedule.Plan(value is TimeSpan or FeelYearMonthDuration || (value is string s && s.StartsWith('P')) ? TimerKind.Duration : TimerKind.Date, value, Now, out var error);
            return plan?.Due ?? throw new StepFailedException($"{what} of {node} is not a date-time or duration: {error}");
        }

        var priority = 50;
        if (spec.Priority is not null)
        {
            var value = Evaluate(spec.Priority, scope, node, "the priority");
            priority = value switch
            {
                decimal d => (int)Math.Clamp(d, 0, 100),
                string s when int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var p) => Math.Clamp(p, 0, 100),
                _ => throw new StepFailedException($"the priority of {node} gave {FeelValue.ToDisplayString(value)}, not a number from 0 to 100"),
            };
        }

        var task = new UserTaskRecord(
            Guid.CreateVersion7(Now), instance.Id, element.Key, node.Id, node.Name, instance.State.ProcessId, instance.State.BusinessKey,
            Text(spec.Assignee, "the assignee"), List(spec.CandidateGroups, "the candidate groups"), List(spec.CandidateUsers, "the candidate users"),
            priority, Date(spec.DueDate, "the due date"), Date(spec.FollowUpDate, "the follow-up date"),
            spec.FormFields.Count == 0 ? null : JsonSerializer.Serialize(spec.FormFields.Select(f => new { f.Id, f.Label, f.Type, f.Required, f.Values })),
            Now)
        {
            CustomerId = Party(instance, element, instance.Definition.Process.CustomerId),
            Branch = Party(instance, element, instance.Definition.Process.Branch),
            Journey = instance.Definition.Process.Name ?? instance.State.ProcessId,
        };
        Changes.TasksCreated.Add(task);
        element.TaskId = task.Id;
        History(instance, "task-created", node.Id, element.Key, task.Id.ToString());
    }

    private async ValueTask RunServiceTaskAsync(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var spec = node.Task ?? throw new StepFailedException($"{node} has no task type");
        var scope = new ElementScope(instance.State, element);
        var type = EvaluateString(spec.Type, scope, node, "the task type");
        var variables = scope.Flatten();

        if (!spec.External && !spec.Async && _engine.Options.Handlers.TryGetValue(type, out var handler))
        {
            IReadOnlyDictionary<string, object?>? result;
            try
            {
                var context = new ServiceTaskContext(instance.Id, node.Id, instance.State.BusinessKey, type, ToDictionary(variables), node.Headers);
                result = await handler(context, _ct).ConfigureAwait(false);
            }
            catch (BpmnErrorException error)
            {
                await ThrowErrorAsync(instance, element, error.ErrorCode, error.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new StepFailedException($"the handler for '{type}' failed: {e.Message}");
            }

            EnqueueComplete(instance, element.Key, ToContext(result));
            return;
        }

        var job = new JobRecord(Guid.CreateVersion7(Now), instance.Id, element.Key, node.Id, type, spec.Retries, Now, Now,
            JsonSerializer.Serialize(node.Headers), ToJson(variables), External: spec.External);
        Changes.JobsCreated.Add(job);
        element.JobId = job.Id;
        History(instance, "job-created", node.Id, element.Key, type);
    }

    internal static IReadOnlyDictionary<string, object?> ToDictionary(FeelContext context)
    {
        var dictionary = new Dictionary<string, object?>(context.Count, StringComparer.Ordinal);
        foreach (var (k, v) in context)
        {
            dictionary[k] = v;
        }

        return dictionary;
    }

    internal static FeelContext? ToContext(IReadOnlyDictionary<string, object?>? variables)
    {
        if (variables is null)
        {
            return null;
        }

        var context = new FeelContext(variables.Count);
        foreach (var (k, v) in variables)
        {
            try
            {
                context[k] = FeelConvert.FromClr(v);
            }
            catch (ArgumentException e)
            {
                throw new WorkflowInputException($"variable '{k}': {e.Message}");
            }
        }

        return context;
    }

    // ---------------------------------------------------------------- messages and signals sent

    private void SendMessage(LoadedInstance instance, ElementInstance element, FlowNode node, MessageDefinition? message)
    {
        if (message is null)
        {
            throw new StepFailedException($"{node} has no message to send");
        }

        var scope = new ElementScope(instance.State, element);
        var name = EvaluateString(message.Name, scope, node, "the message name");
        var key = message.CorrelationKey is null ? null : EvaluateString(message.CorrelationKey, scope, node, "the correlation key");
        var payload = node.Inputs.Count > 0 ? element.Variables ?? [] : scope.Flatten();
        var headers = new OutboxHeaders(HandoffOf(instance, element, instance.Definition.MessageTarget(node.Id)), message.TimeToLive);
        Changes.Outbox.Add(new OutboxRecord(Guid.CreateVersion7(Now), instance.Id, node.Id, name, key, ToJson(payload), Now) { HeadersJson = headers.ToJson() });
        History(instance, "message-sent", node.Id, element.Key, name);
    }

    /// <summary>What a message this instance sends carries across the handoff: its case, its promise and this command's trace.</summary>
    internal Handoff HandoffOf(LoadedInstance instance, ElementInstance element, string? targetProcessId)
    {
        var process = instance.Definition.Process;
        var commitment = instance.Clocks.Find(c => c.IsOpen && c.Kind == ClockKind.Commitment && c.Level == 1);
        var activity = System.Diagnostics.Activity.Current;
        return new Handoff
        {
            SourceInstanceId = instance.Id,
            SourceProcessId = instance.State.ProcessId,
            TargetProcessId = targetProcessId,
            BusinessKey = instance.State.BusinessKey,
            Branch = Party(instance, element, process.Branch),
            Tenant = Party(instance, element, process.Tenant),
            CommitmentDue = commitment?.TargetAt,
            TraceParent = activity?.Id,
            TraceState = activity?.TraceStateString,
        };
    }

    /// <summary>End events and intermediate throw events: what they throw, then (usually) on.</summary>
    private async ValueTask ThrowAsync(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var isEnd = node.Kind == NodeKind.EndEvent;
        switch (node.Event?.Type)
        {
            case null or EventType.None:
                EnqueueComplete(instance, element.Key);
                break;
            case EventType.Message:
                SendMessage(instance, element, node, node.Event.Message);
                EnqueueComplete(instance, element.Key);
                break;
            case EventType.Signal:
                await BroadcastFromModelAsync(instance, element, node).ConfigureAwait(false);
                EnqueueComplete(instance, element.Key);
                break;
            case EventType.Escalation:
                if (await ThrowEscalationAsync(instance, element, node.Event.Escalation!.Code ?? "").ConfigureAwait(false))
                {
                    EnqueueComplete(instance, element.Key);
                }

                break;
            case EventType.Terminate when isEnd:
                foreach (var sibling in Children(instance.State, element.ParentKey).Where(e => e.Key != element.Key))
                {
                    await TerminateAsync(instance, sibling).ConfigureAwait(false);
                }

                instance.State.Elements[element.ParentKey].JoinArrivals = null;
                EnqueueComplete(instance, element.Key);
                break;
            case EventType.Error when isEnd:
                var error = node.Event.Error!;
                await ThrowErrorAsync(instance, element, error.Code ?? "", error.Name ?? error.Code ?? "error").ConfigureAwait(false);
                break;
            case EventType.Link when !isEnd:
                var target = instance.Definition.LinkCatch(node.Parent!, node.Event.LinkName)
                    ?? throw new StepFailedException($"no link catch event named '{node.Event.LinkName}' in the same scope");
                Leave(instance, element, "element-completed");
                EnqueueActivate(instance, element.ParentKey, target);
                break;
            default:
                throw new StepFailedException($"{node} with a {node.Event.Type} definition cannot be executed");
        }
    }

    private async ValueTask BroadcastFromModelAsync(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var scope = new ElementScope(instance.State, element);
        var name = EvaluateString(node.Event!.Signal!.Name, scope, node, "the signal name");
        var variables = node.Inputs.Count > 0 ? element.Variables : null;
        History(instance, "signal-thrown", node.Id, element.Key, name);
        await BroadcastSignalAsync(name, variables).ConfigureAwait(false);
    }

    /// <summary>Delivers a signal to every open subscription, those opened by this very command included.</summary>
    public async ValueTask<int> BroadcastSignalAsync(string name, FeelContext? variables)
    {
        var stored = await _engine.Store.FindSignalSubscriptionsAsync(name, _ct).ConfigureAwait(false);
        var removed = Changes.SignalSubscriptionsRemoved.ToHashSet();
        var targets = stored.Concat(Changes.SignalSubscriptionsCreated.Where(s => s.SignalName == name))
            .Where(s => !removed.Contains(s.Id))
            .ToList();
        var triggered = 0;
        foreach (var subscription in targets)
        {
            if (subscription.InstanceId is null)
            {
                var definition = await _engine.Definitions.GetAsync(subscription.DefinitionId, _ct).ConfigureAwait(false);
                var started = CreateInstance(definition, null, new FeelContext());
                await StartAtAsync(started, definition.Node(subscription.ElementId), variables ?? []).ConfigureAwait(false);
                triggered++;
                continue;
            }

            var instance = await LoadAsync(subscription.InstanceId.Value).ConfigureAwait(false);
            if (!instance.State.Elements.TryGetValue(subscription.ElementKey, out var owner) || owner.Waits?.Find(w => w.Id == subscription.Id) is not { } wait || wait.Id != subscription.Id)
            {
                continue;
            }

            History(instance, "signal-received", subscription.ElementId, owner.Key, name);
            await TriggerWaitAsync(instance, owner, wait, variables?.Copy()).ConfigureAwait(false);
            triggered++;
        }

        return triggered;
    }

    // ---------------------------------------------------------------- errors and escalations

    /// <summary>
    /// Throws a BPMN error from <paramref name="thrower"/>: the nearest error boundary or error event
    /// sub-process with a matching code (or none, which catches all) catches it, across call
    /// activities; an uncaught error becomes an incident on the thrower.
    /// </summary>
    public async ValueTask ThrowErrorAsync(LoadedInstance instance, ElementInstance thrower, string code, string message)
    {
        var (catchInstance, owner, catchNode) = await FindCatchAsync(instance, thrower, EventType.Error, code).ConfigureAwait(false);
        if (catchNode is null)
        {
            RaiseIncident(instance, thrower, IncidentPhase.Activate, $"an error with code '{code}' was thrown and not caught: {message}");
            return;
        }

        History(instance, "error-thrown", thrower.ElementId, thrower.Key, code);
        await CatchAsync(catchInstance!, owner!, catchNode, interrupting: true).ConfigureAwait(false);
    }

    /// <summary>Throws an escalation; returns whether the thrower goes on (uncaught, or caught without interrupting).</summary>
    /// <remarks><paramref name="fromInside"/>: thrown by the scope's own clock, so its own event sub-processes catch it too.</remarks>
    private async ValueTask<bool> ThrowEscalationAsync(LoadedInstance instance, ElementInstance thrower, string code, bool fromInside = false)
    {
        History(instance, "escalation-thrown", thrower.ElementId, thrower.Key, code);
        var (catchInstance, owner, catchNode) = await FindCatchAsync(instance, thrower, EventType.Escalation, code, fromInside).ConfigureAwait(false);
        if (catchNode is null)
        {
            return true;
        }

        await CatchAsync(catchInstance!, owner!, catchNode, catchNode.IsInterrupting).ConfigureAwait(false);
        return instance.State.Elements.ContainsKey(thrower.Key);
    }

    private async ValueTask CatchAsync(LoadedInstance instance, ElementInstance owner, FlowNode catchNode, bool interrupting)
    {
        if (catchNode.Kind == NodeKind.BoundaryEvent)
        {
            if (interrupting)
            {
                await TerminateAsync(instance, owner, "element-interrupted").ConfigureAwait(false);
            }

            EnqueueActivate(instance, owner.ParentKey, catchNode, []);
        }
        else
        {
            await StartEventSubProcessAsync(instance, owner, catchNode.Parent!, catchNode, []).ConfigureAwait(false);
        }
    }

    private async ValueTask<(LoadedInstance? Instance, ElementInstance? Owner, FlowNode? CatchNode)> FindCatchAsync(LoadedInstance instance, ElementInstance thrower, EventType type, string code, bool fromInside = false)
    {
        var current = thrower;
        var first = !fromInside;
        while (true)
        {
            var node = instance.Definition.Node(current.ElementId);
            if (!first && node.IsScope && !current.IsMultiInstanceBody)
            {
                var start = Match(node.EventSubProcesses.SelectMany(s => s.Children.Where(c => c.Kind == NodeKind.StartEvent)), type, code);
                if (start is not null && !current.Interrupted)
                {
                    return (instance, current, start);
                }
            }

            if (!current.IsMultiInstanceInner)
            {
                var boundary = Match(node.Boundaries, type, code);
                if (boundary is not null)
                {
                    return (instance, current, boundary);
                }
            }

            first = false;
            if (current.ParentKey != 0 && instance.State.Elements.TryGetValue(current.ParentKey, out var parent))
            {
                current = parent;
                continue;
            }

            // Out of the process: a called process hands the error to its call activity.
            if (instance.State.ParentInstanceId is { } parentId && instance.State.ParentElementKey is { } callKey)
            {
                var caller = await LoadAsync(parentId).ConfigureAwait(false);
                if (caller.State.Elements.TryGetValue(callKey, out var callElement))
                {
                    instance = caller;
                    current = callElement;
                    first = false;
                    var callNode = caller.Definition.Node(callElement.ElementId);
                    var boundary = Match(callNode.Boundaries, type, code);
                    if (boundary is not null)
                    {
                        return (caller, callElement, boundary);
                    }

                    if (caller.State.Elements.TryGetValue(callElement.ParentKey, out var callerScope))
                    {
                        current = callerScope;
                        continue;
                    }
                }
            }

            return (null, null, null);
        }
    }

    private static FlowNode? Match(IEnumerable<FlowNode> candidates, EventType type, string code)
    {
        FlowNode? catchAll = null;
        foreach (var candidate in candidates)
        {
            if (candidate.Event?.Type != type)
            {
                continue;
            }

            var candidateCode = type == EventType.Error ? candidate.Event.Error?.Code : candidate.Event.Escalation?.Code;
            if (candidateCode is null)
            {
                catchAll ??= candidate;
            }
            else if (candidateCode == code)
            {
                return candidate;
            }
        }

        return catchAll;
    }

    // ---------------------------------------------------------------- call activities

    private async ValueTask CallAsync(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var call = node.Call ?? throw new StepFailedException("the call activity has no called element");
        var scope = new ElementScope(instance.State, element);
        var processId = EvaluateString(call.ProcessId, scope, node, "the called element");
        var record = call.Binding switch
        {
            CallBinding.VersionTag => await _engine.Store.GetDefinitionByVersionTagAsync(processId, call.VersionTag ?? "", _ct).ConfigureAwait(false),
            CallBinding.Deployment => await _engine.Store.GetDefinitionInDeploymentAsync(instance.Definition.Record.DeploymentId, processId, _ct).ConfigureAwait(false),
            _ => await _engine.Store.GetLatestDefinitionAsync(processId, _ct).ConfigureAwait(false),
        } ?? throw new StepFailedException(call.Binding switch
        {
            CallBinding.VersionTag => $"no version of process '{processId}' has the version tag '{call.VersionTag}'",
            CallBinding.Deployment => $"process '{processId}' was not deployed together with '{instance.State.ProcessId}'",
            _ => $"process '{processId}' is not deployed",
        });

        var definition = await _engine.Definitions.GetAsync(record.Id, _ct).ConfigureAwait(false);
        var start = definition.Process.Root.NoneStart ?? throw new StepFailedException($"process '{processId}' has no none start event to call");
        var variables = call.PropagateAllParentVariables ? scope.Flatten() : (element.Variables ?? []).Copy();
        var child = CreateInstance(definition, instance.State.BusinessKey, variables, instance.Id, element.Key);
        element.CalledInstanceId = child.Id;
        History(instance, "instance-called", node.Id, element.Key, child.Id.ToString());
        await StartAtAsync(child, start, null).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- multi-instance

    private async ValueTask ActivateMultiInstanceBodyAsync(LoadedInstance instance, ElementInstance body, FlowNode node)
    {
        var mi = node.MultiInstance!;
        var scope = new ElementScope(instance.State, body);
        List<object?>? items = null;
        int total;
        if (mi.InputCollection is not null)
        {
            var value = Evaluate(mi.InputCollection, scope, node, "the input collection");
            items = value as List<object?> ?? throw new StepFailedException($"the input collection of {node} gave {FeelValue.ToDisplayString(value)}, not a list");
            total = items.Count;
        }
        else
        {
            var value = Evaluate(mi.LoopCardinality!, scope, node, "the loop cardinality");
            total = value is decimal d && d >= 0 ? (int)d : throw new StepFailedException($"the loop cardinality of {node} gave {FeelValue.ToDisplayString(value)}, not a whole number");
        }

        body.Collection = items;
        body.Total = total;
        body.Variables ??= [];
        if (mi.OutputCollection is { } output)
        {
            body.Variables[output] = Enumerable.Repeat<object?>(null, total).ToList();
        }

        if (node.Boundaries.Count > 0)
        {
            await OpenBoundaryWaitsAsync(instance, body, node).ConfigureAwait(false);
        }

        if (total == 0)
        {
            EnqueueComplete(instance, body.Key);
            return;
        }

        var first = mi.IsSequential ? 1 : total;
        for (var i = 0; i < first; i++)
        {
            await StartInnerAsync(instance, body, node).ConfigureAwait(false);
        }
    }

    private async ValueTask StartInnerAsync(LoadedInstance instance, ElementInstance body, FlowNode node)
    {
        var index = body.Started++;
        var inner = new ElementInstance { Key = instance.State.NextKey++, ElementId = node.Id, ParentKey = body.Key, IsMultiInstanceInner = true, LoopCounter = index + 1 };
        inner.Variables = new FeelContext { ["loopCounter"] = (decimal)(index + 1) };
        if (node.MultiInstance!.InputElement is { } inputElement)
        {
            inner.Variables[inputElement] = body.Collection is { } items ? items[index] : null;
        }

        instance.State.Elements[inner.Key] = inner;
        History(instance, "element-entered", node.Id, inner.Key);
        await RunActivationAsync(instance, inner, node, null).ConfigureAwait(false);
    }

    private async ValueTask CompleteInnerInstanceAsync(LoadedInstance instance, ElementInstance inner, FlowNode node, FeelContext? variables)
    {
        var mi = node.MultiInstance!;
        var body = instance.State.Elements[inner.ParentKey];
        if (mi.OutputCollection is { } output && mi.OutputElement is { } outputElement)
        {
            IFeelScope scope = new ElementScope(instance.State, inner);
            if (variables is not null)
            {
                scope = new ContextScope(variables, scope);
            }

            var value = Evaluate(outputElement, scope, node, "the output element", nullAllowed: true);
            if (body.Variables?[output] is List<object?> collection && inner.LoopCounter - 1 < collection.Count)
            {
                collection[inner.LoopCounter - 1] = value;
            }
        }

        Leave(instance, inner, "element-completed");
        body.Completed++;

        if (mi.CompletionCondition is { } condition)
        {
            var scope = new ContextScope(
                new FeelContext
                {
                    ["numberOfInstances"] = (decimal)body.Total,
                    ["numberOfCompletedInstances"] = (decimal)body.Completed,
                    ["numberOfActiveInstances"] = (decimal)(body.Started - body.Completed),
                },
                new ElementScope(instance.State, body));
            bool done;
            try
            {
                done = Evaluate(condition, scope, node, "the completion condition") is true;
            }
            catch (StepFailedException e)
            {
                RaiseIncident(instance, body, IncidentPhase.Complete, e.Message);
                return;
            }

            if (done)
            {
                foreach (var other in Children(instance.State, body.Key))
                {
                    await TerminateAsync(instance, other).ConfigureAwait(false);
                }

                EnqueueComplete(instance, body.Key);
                return;
            }
        }

        if (mi.IsSequential && body.Started < body.Total)
        {
            await StartInnerAsync(instance, body, node).ConfigureAwait(false);
        }
        else if (body.Completed >= body.Total)
        {
            EnqueueComplete(instance, body.Key);
        }
    }
}
