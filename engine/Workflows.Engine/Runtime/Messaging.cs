using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>Messages an instance sends (to the outbox) and signals it throws (to every open subscription).</summary>
internal sealed class Messaging(Execution execution, CancellationToken ct)
{
    private DateTimeOffset Now => execution.Unit.Now;

    public void SendMessage(LoadedInstance instance, ElementInstance element, FlowNode node, MessageDefinition? message)
    {
        if (message is null)
        {
            throw new StepFailedException($"{node} has no message to send");
        }

        var scope = new ElementScope(instance.State, element);
        var name = execution.Expressions.EvaluateString(message.Name, scope, node, "the message name");
        var key = message.CorrelationKey is null ? null : execution.Expressions.EvaluateCorrelationKey(message.CorrelationKey, scope, node);
        var payload = node.Inputs.Count > 0 ? element.Variables ?? [] : scope.Flatten();
        var headers = new OutboxHeaders(HandoffOf(instance, element, instance.Definition.MessageTarget(node.Id)), message.TimeToLive);
        execution.Unit.Changes.Outbox.Add(new OutboxRecord(RowIds.NewId(Now), instance.Id, node.Id, name, key, VariableScopes.ToJson(payload), Now) { HeadersJson = headers.ToJson() });
        execution.Unit.History(instance, HistoryKind.MessageSent, node.Id, element.Key, name);
    }

    /// <summary>What a message this instance sends carries across the handoff: its case, its promise and this command's trace.</summary>
    public Handoff HandoffOf(LoadedInstance instance, ElementInstance element, string? targetProcessId)
    {
        var process = instance.Definition.Process;
        var activity = System.Diagnostics.Activity.Current;
        var handoff = new Handoff
        {
            SourceInstanceId = instance.Id,
            SourceProcessId = instance.State.ProcessId,
            TargetProcessId = targetProcessId,
            BusinessKey = instance.State.BusinessKey,
            Branch = execution.Expressions.Party(instance, element, process.Branch),
            Tenant = execution.Expressions.Party(instance, element, process.Tenant),
            TraceParent = activity?.Id,
            TraceState = activity?.TraceStateString,
        };
        foreach (var module in execution.Engine.Modules)
        {
            handoff = module.OnHandoff(instance, handoff); // e.g. the promise's due moment
        }

        return handoff;
    }

    /// <summary>
    /// A signal throw event of the model: its name evaluated (a failure is the throw's incident), then broadcast once
    /// the steps this command queued before it have run (<see cref="TokenLoop.EnqueueBroadcast"/>).
    /// </summary>
    public void BroadcastFromModel(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var scope = new ElementScope(instance.State, element);
        var name = execution.Expressions.EvaluateString(node.Event!.Signal!.Name, scope, node, "the signal name");
        var variables = node.Inputs.Count > 0 ? element.Variables?.Copy() : null;
        execution.Unit.History(instance, HistoryKind.SignalThrown, node.Id, element.Key, name);
        execution.Tokens.EnqueueBroadcast(instance, name, variables);
    }

    /// <summary>Delivers a signal to every open subscription, those opened by this very command included.</summary>
    /// <remarks>
    /// An instance a signal of the model (<paramref name="thrower"/>) starts runs in this command and counts against the
    /// thrower's element budget, as a called instance counts against its caller: a process started by a signal it
    /// throws again would otherwise start one more instance per throw, each with a fresh budget, until memory runs
    /// out. So the chain is parked with an incident once it entered <c>Limits.MaxElementsPerCommand</c> elements. An
    /// instance the signal moves counts against its own budget (a broadcast to many waiting instances is no loop).
    /// </remarks>
    public async ValueTask<int> BroadcastSignalAsync(string name, FeelContext? variables, LoadedInstance? thrower = null)
    {
        var changes = execution.Unit.Changes;
        var stored = await execution.Engine.Store.FindSignalSubscriptionsAsync(name, ct).ConfigureAwait(false);
        var removed = changes.SignalSubscriptionsRemoved.ToHashSet();
        var targets = stored.Concat(changes.SignalSubscriptionsCreated.Where(s => s.SignalName == name))
            .Where(s => !removed.Contains(s.Id))
            .ToList();
        var triggered = 0;
        foreach (var subscription in targets)
        {
            if (subscription.InstanceId is null)
            {
                // No caller, so no caller's branch: one instance for each branch that runs this version (see Pins).
                var definition = await execution.Engine.Definitions.GetAsync(subscription.DefinitionId, ct).ConfigureAwait(false);
                foreach (var branch in await execution.Pins.RunnersAsync(definition.Record).ConfigureAwait(false))
                {
                    var started = execution.Unit.CreateInstance(definition, null, Pins.Initial(branch, definition.Process, variables));
                    if (thrower is not null)
                    {
                        started.BudgetRoot = thrower.BudgetRoot;
                    }

                    await execution.StartAtAsync(started, definition.Node(subscription.ElementId), variables?.Copy() ?? []).ConfigureAwait(false);
                    triggered++;
                }

                continue;
            }

            if (await execution.Unit.TryLoadAsync(subscription.InstanceId.Value).ConfigureAwait(false) is not { } instance)
            {
                continue; // its state cannot be read: it gets its incident, the signal reaches every other subscriber
            }

            if (!instance.State.Elements.TryGetValue(subscription.ElementKey, out var owner) || owner.Waits?.Find(w => w.Id == subscription.Id) is not { } wait || wait.Id != subscription.Id)
            {
                // Closed meanwhile (gone when read again), or a row no element waits for: that instance's state problem
                // (its incident after the commit), and the signal reaches every other subscriber (review13 F3).
                if (instance.State.Status == ProcessInstanceStatus.Active && !changes.SignalSubscriptionsRemoved.Contains(subscription.Id)
                    && (await execution.Engine.Store.FindSignalSubscriptionsAsync(name, ct).ConfigureAwait(false)).Any(s => s.Id == subscription.Id))
                {
                    execution.Unit.Unreadable.Add(Services.CommandRunner.Stranded(instance, $"signal subscription ('{name}')", subscription.Id, subscription.ElementKey, owner, null));
                }

                continue;
            }

            execution.Unit.History(instance, HistoryKind.SignalReceived, subscription.ElementId, owner.Key, name);
            await execution.Waits.TriggerWaitAsync(instance, owner, wait, variables?.Copy()).ConfigureAwait(false);
            triggered++;
        }

        return triggered;
    }
}
