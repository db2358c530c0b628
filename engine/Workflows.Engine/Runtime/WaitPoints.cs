using System.Text.Json;
using Workflows.Engine.Behaviours;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Wait points: the timers, message and signal subscriptions an element instance owns, opened when
/// it waits and closed when it leaves, and the routing of a wait that was triggered.
/// </summary>
internal sealed class WaitPoints(Execution execution, CancellationToken ct)
{
    private DateTimeOffset Now => execution.Unit.Now;

    private ChangeSet Changes => execution.Unit.Changes;

    /// <summary>Opens the wait of a catch node (timer, message, signal), owned by <paramref name="owner"/>.</summary>
    public async ValueTask OpenWaitAsync(LoadedInstance instance, ElementInstance owner, FlowNode catchNode)
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
                var name = execution.Expressions.EvaluateString(e.Signal!.Name, new ElementScope(instance.State, owner), catchNode, "the signal name");
                var subscription = new SignalSubscriptionRecord(RowIds.NewId(Now), instance.Id, owner.Key, catchNode.Id, instance.Definition.Id, name);
                Changes.SignalSubscriptionsCreated.Add(subscription);
                owner.AddWait(WaitKind.Signal, subscription.Id, catchNode.Id);
                break;
            case EventType.Conditional:
                execution.Conditions.Open(instance, owner, catchNode);
                break;
            case EventType.Error or EventType.Escalation:
                break; // caught when thrown; nothing to open
            default:
                throw new StepFailedException($"{catchNode} has no event this engine can wait for");
        }
    }

    private void OpenTimer(LoadedInstance instance, ElementInstance owner, FlowNode catchNode, TimerDefinition timer)
    {
        var scope = new ElementScope(instance.State, owner);
        var value = execution.Expressions.Evaluate(timer.Value, scope, catchNode, "the timer");
        var plan = TimerSchedule.Plan(timer.Kind, value, Now, out var error, moduleValue => ModuleDue(moduleValue, scope, catchNode))
            ?? throw new StepFailedException($"the timer of {catchNode} is not valid: {error}");
        if (plan.Period is { } period && execution.Engine.Options.Limits.RefuseCycle(period) is { } tooShort)
        {
            throw new StepFailedException($"the timer of {catchNode} is not valid: {tooShort}");
        }

        AddTimer(instance, owner, catchNode.Id, plan.Due, plan.Interval, plan.RemainingAfterFirst);
    }

    // A duration a module reads (service levels: a business duration on the instance's calendar) is due where it says.
    private DateTimeOffset? ModuleDue(object? value, ElementScope scope, FlowNode catchNode)
    {
        foreach (var durations in Modules.EngineModules.TimerDurations)
        {
            if (durations.Reads(value))
            {
                return durations.DueAt(value, catchNode, scope, execution.Engine.Options, Now);
            }
        }

        return null;
    }

    private void AddTimer(LoadedInstance instance, ElementInstance owner, string catchNodeId, DateTimeOffset due, TimeSpan? interval, int remaining)
    {
        var record = new TimerRecord(RowIds.NewId(Now), instance.Id, owner.Key, catchNodeId, instance.Definition.Id, due, interval, remaining);
        Changes.TimersCreated.Add(record);
        owner.AddWait(WaitKind.Timer, record.Id, catchNodeId);
    }

    public async ValueTask OpenMessageWaitAsync(LoadedInstance instance, ElementInstance owner, FlowNode catchNode, MessageDefinition? message)
    {
        if (message is null)
        {
            throw new StepFailedException($"{catchNode} has no message");
        }

        var scope = new ElementScope(instance.State, owner);
        var name = execution.Expressions.EvaluateString(message.Name, scope, catchNode, "the message name");
        var key = message.CorrelationKey is null ? "" : execution.Expressions.EvaluateCatchCorrelationKey(message.CorrelationKey, scope, catchNode);
        var subscription = new MessageSubscriptionRecord(RowIds.NewId(Now), instance.Id, owner.Key, catchNode.Id, instance.Definition.Id, name, key, Now);
        Changes.MessageSubscriptionsCreated.Add(subscription);
        owner.AddWait(WaitKind.Message, subscription.Id, catchNode.Id);

        // A message published before this subscription opened waits in the buffer (Camunda 8 semantics).
        await TakeBufferedWhileOpenAsync(instance, owner, new WaitRef(WaitKind.Message, subscription.Id, catchNode.Id), name, key).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives an open message subscription the buffered messages it matches, oldest first, for as long as it stays open:
    /// a catch, a receive task or an interrupting event takes one and closes; a non-interrupting boundary or event
    /// sub-process start stays open and takes every one, each once per process (Zeebe correlates the next buffered
    /// message after each correlation of a non-interrupting subscription). The store knows only what earlier commands
    /// committed: this command's own effects are merged in, so a message this command already took for the process is
    /// not taken again, and one it buffered is found.
    /// </summary>
    /// <returns>How many buffered messages the subscription took.</returns>
    private async ValueTask<int> TakeBufferedWhileOpenAsync(LoadedInstance instance, ElementInstance owner, WaitRef wait, string name, string key)
    {
        var taken = 0;
        while (instance.State.Elements.TryGetValue(owner.Key, out var current) && current == owner && owner.Waits?.Exists(w => w.Id == wait.Id) == true)
        {
            var buffered = await BufferedMessagesAsync(name, key, instance.State.ProcessId).ConfigureAwait(false);
            if (buffered.Count == 0)
            {
                break;
            }

            var first = buffered[0];
            Changes.MessageCorrelations.Add(new MessageCorrelation(first.Id, instance.Id, instance.State.ProcessId));
            execution.Unit.History(instance, HistoryKind.MessageCorrelated, wait.ElementId, owner.Key, $"{name} (buffered)");
            await TriggerWaitAsync(instance, owner, wait, VariableScopes.FromJson(first.VariablesJson)).ConfigureAwait(false);
            taken++;
        }

        return taken;
    }

    /// <summary>
    /// Unexpired buffered messages for a name and key that no instance of <paramref name="processId"/> took, oldest first,
    /// as this command left them: the store knows only what earlier commands committed, so this command's own messages
    /// are added and those it gave to the process already left out.
    /// </summary>
    public async ValueTask<List<BufferedMessageRecord>> BufferedMessagesAsync(string name, string key, string processId)
    {
        var stored = await execution.Engine.Store.FindBufferedMessagesAsync(name, key, processId, Now, ct).ConfigureAwait(false);
        return stored
            .Where(Readable)
            .Concat(Changes.MessagesBuffered.Where(m => m.Name == name && m.CorrelationKey == key && m.ExpiresAt > Now))
            .Where(m => !Changes.MessageCorrelations.Exists(c => c.BufferedMessageId == m.Id && c.ProcessId == processId))
            .OrderBy(m => m.PublishedAt)
            .ToList();
    }

    /// <summary>
    /// Gives each of the instance's open message subscriptions the buffered messages it matches, as opening it would
    /// have: for an instance whose state was unreadable while a message for it was published (the message passed it over
    /// and was buffered), once the state reads again (review13 F14; Camunda 8 correlates a buffered message as soon as a
    /// subscription can take it).
    /// </summary>
    /// <returns>How many buffered messages the instance took.</returns>
    public async ValueTask<int> TakeBufferedAsync(LoadedInstance instance, IEnumerable<MessageSubscriptionRecord> subscriptions)
    {
        var taken = 0;
        foreach (var subscription in subscriptions.OrderBy(s => s.CreatedAt))
        {
            // Re-read each time: a message taken before may have ended the element (an interrupting boundary).
            if (!instance.State.Elements.TryGetValue(subscription.ElementKey, out var owner) || owner.Waits?.Find(w => w.Id == subscription.Id) is not { } wait
                || wait.Id != subscription.Id)
            {
                continue;
            }

            taken += await TakeBufferedWhileOpenAsync(instance, owner, wait, subscription.MessageName, subscription.CorrelationKey ?? "").ConfigureAwait(false);
        }

        return taken;
    }

    // A stored message whose variables no longer read (its row changed outside the engine) is passed over and logged,
    // naming it: the command that would take it goes on, and the messages behind it flow (review13 F15).
    private bool Readable(BufferedMessageRecord message)
    {
        try
        {
            VariableScopes.FromJson(message.VariablesJson);
            return true;
        }
        catch (JsonException e)
        {
            execution.Engine.Log.RowUnreadable($"buffered message {message.Id} ('{message.Name}', key '{message.CorrelationKey}'{(message.MessageId is null ? "" : $", id '{message.MessageId}'")}): its variables_json is not JSON ({e.Message})");
            return false;
        }
    }

    public async ValueTask OpenBoundaryWaitsAsync(LoadedInstance instance, ElementInstance activity, FlowNode node)
    {
        foreach (var boundary in node.Boundaries)
        {
            if (boundary.Event?.Type is EventType.Timer or EventType.Message or EventType.Signal or EventType.Conditional)
            {
                await OpenWaitAsync(instance, activity, boundary).ConfigureAwait(false);
                if (!instance.State.Elements.ContainsKey(activity.Key))
                {
                    return; // a buffered message interrupted the activity at once
                }
            }
        }
    }

    public async ValueTask OpenEventSubProcessWaitsAsync(LoadedInstance instance, ElementInstance scope, FlowNode scopeNode)
    {
        foreach (var eventSubProcess in scopeNode.EventSubProcesses)
        {
            foreach (var start in eventSubProcess.Children.Where(c => c.Kind == NodeKind.StartEvent && c.Event is not null))
            {
                if (start.Event!.Type is EventType.Timer or EventType.Message or EventType.Signal or EventType.Conditional)
                {
                    await OpenWaitAsync(instance, scope, start).ConfigureAwait(false);
                }
            }
        }
    }

    public void CloseWaits(ElementInstance element)
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

        // A non-interrupting message or signal catch (boundary or event sub-process start) keeps its
        // subscription while its scope lives, so it fires on every occurrence (Camunda 8); the scope's
        // end closes it. Everything else catches once.
        if (wait.Kind is WaitKind.Timer || IsInterrupting(catchNode))
        {
            owner.Waits?.Remove(wait);
            RemoveWaitRow(wait);
        }

        // A cycle on a non-interrupting catch repeats: plan the next firing before anything else moves.
        if (firedTimer is { Interval: { } interval } && firedTimer.Remaining != 0 && !IsInterrupting(catchNode)
            && TimerSchedule.NextInCycle(firedTimer.DueAt, interval) is { } next)
        {
            AddTimer(instance, owner, catchNode.Id, next, interval, firedTimer.Remaining > 0 ? firedTimer.Remaining - 1 : -1);
        }
        else if (firedTimer is { Interval: null, Remaining: not 0 } && !IsInterrupting(catchNode) && catchNode.Event?.Timer is { } cronTimer
            && TimerSchedule.NextInCron(execution.Expressions.Evaluate(cronTimer.Value, new ElementScope(instance.State, owner), catchNode, "the timer"), firedTimer.DueAt) is { } nextInCron)
        {
            // A cron cycle: the next firing comes from its schedule, read again as Camunda 8 does.
            AddTimer(instance, owner, catchNode.Id, nextInCron, null, -1);
        }

        // A boundary event or an event sub-process's start handles its own trigger.
        if (ElementBehaviours.Find(catchNode) is { } behaviour
            && await behaviour.TriggeredAsync(execution, instance, owner, catchNode, variables).ConfigureAwait(false))
        {
            return;
        }

        if (owner.ElementId != catchNode.Id)
        {
            // An event-based gateway: the first event wins and closes the others.
            CloseWaits(owner);
            execution.Elements.Leave(instance, owner, HistoryKind.ElementCompleted);
            execution.Tokens.EnqueueActivate(instance, owner.ParentKey, catchNode, variables ?? []);
            return;
        }

        execution.Tokens.EnqueueComplete(instance, owner.Key, variables);
    }

    private static bool IsInterrupting(FlowNode node) =>
        node.Kind is NodeKind.BoundaryEvent or NodeKind.StartEvent ? node.IsInterrupting : true;

    /// <summary>Starts an event sub-process in <paramref name="scope"/>; an interrupting one ends what else runs there first.</summary>
    public async ValueTask StartEventSubProcessAsync(LoadedInstance instance, ElementInstance scope, FlowNode eventSubProcess, FlowNode start, FeelContext? variables)
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
            foreach (var child in ElementTree.Children(instance.State, scope.Key))
            {
                await execution.Elements.TerminateAsync(instance, child, HistoryKind.ElementInterrupted).ConfigureAwait(false);
            }
        }

        var element = execution.Elements.NewElement(instance, scope.Key, eventSubProcess);
        await OpenEventSubProcessWaitsAsync(instance, element, eventSubProcess).ConfigureAwait(false);
        execution.Tokens.EnqueueActivate(instance, element.Key, start, variables ?? []);
    }
}
