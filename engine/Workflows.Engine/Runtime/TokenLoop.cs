using Workflows.Engine.Behaviours;
using Workflows.Engine.Behaviours.Containers;
using Workflows.Engine.Behaviours.Gateways;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// The token loop: the queue of activations, completions and arrivals on sequence flows, the joins
/// that wait for tokens, and the scopes whose last token ended.
/// </summary>
internal sealed class TokenLoop(Execution execution, CancellationToken ct)
{
    private enum WorkKind
    {
        Activate,
        Complete,
        Arrive,

        /// <summary>A signal the model threw, delivered after the steps queued before it (see <see cref="EnqueueBroadcast"/>).</summary>
        Broadcast,
    }

    private readonly record struct Work(WorkKind Kind, LoadedInstance Instance, long Key, FlowNode? Node, FeelContext? Variables, SequenceFlow? Flow, string? Signal = null);

    // A few queues kept between commands, each taken by one loop at a time: every command's loop made its array anew
    // (~250 B a command, 4 % of the bytes a complaint allocates in memory). Taken on the first step queued, given back
    // empty when the loop is done; one that grew large is left to the collector.
    private const int SpareQueues = 4;
    private const int LargestKept = 256;
    private static readonly Queue<Work>?[] s_spare = new Queue<Work>?[SpareQueues];

    private Queue<Work>? _queue;
    // Made on the first scope to check: most commands end no token without a flow to take.
    private HashSet<(LoadedInstance Instance, long ScopeKey)>? _scopesToCheck;

    /// <summary>Runs queued work until every token waits or ends, then settles joins and scopes.</summary>
    public async ValueTask RunAsync()
    {
        // What the command did before its tokens ran (the variables it set) may meet a condition.
        if (execution.HasConditionWork())
        {
            await execution.Conditions.EvaluateAsync().ConfigureAwait(false);
        }

        while (true)
        {
            while (_queue is not null && _queue.TryDequeue(out var work))
            {
                ct.ThrowIfCancellationRequested();
                if (execution.Budget.ParkedBy(work.Instance) is { } breach)
                {
                    Park(work, breach);
                    continue;
                }

                switch (work.Kind)
                {
                    case WorkKind.Activate:
                        await execution.Elements.ActivateAsync(work.Instance, work.Key, work.Node!, work.Variables).ConfigureAwait(false);
                        break;
                    case WorkKind.Complete:
                        await execution.Elements.CompleteAsync(work.Instance, work.Key, work.Variables).ConfigureAwait(false);
                        break;
                    case WorkKind.Arrive:
                        Arrive(work.Instance, work.Key, work.Flow!);
                        break;
                    case WorkKind.Broadcast:
                        await execution.Messaging.BroadcastSignalAsync(work.Signal!, work.Variables, work.Instance).ConfigureAwait(false);
                        break;
                }

                // Between two steps: the conditional events opened or concerned by the variables this step set.
                if (execution.HasConditionWork(work.Instance))
                {
                    await execution.Conditions.EvaluateAsync().ConfigureAwait(false);
                }
            }

            // A variable another instance's step set (a called process handing back) is evaluated before the scopes settle.
            if (execution.HasConditionWork())
            {
                await execution.Conditions.EvaluateAsync().ConfigureAwait(false);
                continue;
            }

            // Joins and scope ends are decided only when no token is in flight, so that a token
            // still on its way cannot be missed.
            if (!SettleInclusiveJoins() && !ComplexGatewayBehaviour.Settle(execution) && !await SettleScopesAsync().ConfigureAwait(false))
            {
                GiveBack();
                return;
            }
        }
    }

    private Queue<Work> Queued => _queue ??= Take();

    private static Queue<Work> Take()
    {
        for (var i = 0; i < SpareQueues; i++)
        {
            if (Interlocked.Exchange(ref s_spare[i], null) is { } spare)
            {
                return spare;
            }
        }

        return new Queue<Work>();
    }

    // The queue is empty here: a dequeued slot is cleared, so a kept queue holds no instance alive.
    private void GiveBack()
    {
        if (_queue is not { Count: 0 } queue || queue.EnsureCapacity(0) > LargestKept)
        {
            return;
        }

        _queue = null;
        for (var i = 0; i < SpareQueues; i++)
        {
            if (Interlocked.CompareExchange(ref s_spare[i], queue, null) is null)
            {
                return;
            }
        }
    }

    public void EnqueueActivate(LoadedInstance instance, long parentKey, FlowNode node, FeelContext? variables = null) =>
        Queued.Enqueue(new Work(WorkKind.Activate, instance, parentKey, node, variables, null));

    public void EnqueueComplete(LoadedInstance instance, long key, FeelContext? variables = null) =>
        Queued.Enqueue(new Work(WorkKind.Complete, instance, key, null, variables, null));

    /// <summary>A token leaves on <paramref name="flow"/> inside the scope <paramref name="scopeKey"/>.</summary>
    public void EnqueueArrive(LoadedInstance instance, long scopeKey, SequenceFlow flow) =>
        Queued.Enqueue(new Work(WorkKind.Arrive, instance, scopeKey, null, null, flow));

    /// <summary>
    /// A signal <paramref name="thrower"/>'s model threw: delivered once the steps already queued have run, as Camunda 8
    /// processes its broadcast command after the commands written before it. So a catch that a parallel branch of the
    /// same command opens (its activation queued before the throw ran) is open when the signal comes, whatever the
    /// order of the branches in the document.
    /// </summary>
    public void EnqueueBroadcast(LoadedInstance thrower, string name, FeelContext? variables) =>
        Queued.Enqueue(new Work(WorkKind.Broadcast, thrower, 0, null, variables, null, name));

    /// <summary>A token ended in the scope without going on: the scope may be done once nothing is in flight.</summary>
    public void CheckScope(LoadedInstance instance, long scopeKey) => (_scopesToCheck ??= []).Add((instance, scopeKey));

    /// <summary>
    /// A step of an instance whose tokens used up their element budget in an earlier run of this command:
    /// the element it would activate or complete gets the incident, and the tokens go no further.
    /// </summary>
    private void Park(Work work, BudgetBreach breach)
    {
        var instance = work.Instance;
        switch (work.Kind)
        {
            case WorkKind.Activate when instance.State.Elements.ContainsKey(work.Key):
                var entered = execution.Elements.NewElement(instance, work.Key, work.Node!);
                entered.IsMultiInstanceBody = work.Node!.IsLoop;
                if (work.Variables is { Count: > 0 } trigger)
                {
                    VariableScopes.MergeInto(entered, trigger.Copy());
                }

                execution.Incidents.Raise(instance, entered, IncidentPhase.Activate, breach.Message);
                break;
            case WorkKind.Complete when instance.State.Elements.TryGetValue(work.Key, out var element):
                // What the command brought (a task's answers, a job's result) is taken, as a completion
                // would take it; the variables stay on the element for the retry's output mappings.
                if (element.TaskId is { } taskId)
                {
                    execution.Unit.Changes.TasksClosed.Add((taskId, Storage.TaskStatus.Completed));
                    element.TaskId = null;
                }

                if (element.JobId is { } jobId)
                {
                    execution.Unit.Changes.JobsClosed.Add(jobId);
                    element.JobId = null;
                }

                if (work.Variables is { Count: > 0 } completion)
                {
                    VariableScopes.MergeInto(element, completion.Copy());
                }

                execution.Incidents.Raise(instance, element, IncidentPhase.Complete, breach.Message);
                break;
        }
    }

    // ---------------------------------------------------------------- sequence flows and joins

    private void Arrive(LoadedInstance instance, long scopeKey, SequenceFlow flow)
    {
        if (!instance.State.Elements.TryGetValue(scopeKey, out var scope))
        {
            return;
        }

        var target = flow.Target;
        var join = ElementBehaviours.JoinOf(target);
        var joining = target.Incoming.Count > 1 && join != JoinRule.None;
        if (!joining)
        {
            EnqueueActivate(instance, scopeKey, target);
            return;
        }

        if (join == JoinRule.Complex)
        {
            ComplexGatewayBehaviour.Arrive(scope, target, flow);
            return;
        }

        scope.JoinArrivals ??= [];
        if (!scope.JoinArrivals.TryGetValue(target.Id, out var arrived))
        {
            scope.JoinArrivals[target.Id] = arrived = [];
        }

        arrived.Add(flow.Id);
        if (join == JoinRule.AllIncoming && AllArrived(target, arrived))
        {
            TakeOneOfEach(target, arrived);
            if (arrived.Count == 0)
            {
                scope.JoinArrivals.Remove(target.Id);
            }

            EnqueueActivate(instance, scopeKey, target);
        }
    }

    // Linear in the arrivals and the incoming flows: a fork/join of n branches asks this n times, so a scan of the
    // arrivals per incoming flow made its start cost n³. Fewer arrivals than incoming flows (the usual case, every
    // token but the last) cannot be all of them, and is answered at once.
    private static bool AllArrived(FlowNode join, List<string> arrived)
    {
        if (arrived.Count < join.Incoming.Count)
        {
            return false;
        }

        var seen = new HashSet<string>(arrived, StringComparer.Ordinal);
        foreach (var incoming in join.Incoming)
        {
            if (!seen.Contains(incoming.Id))
            {
                return false;
            }
        }

        return true;
    }

    // The join fired: one arrival per incoming flow is consumed; the rest (a second token on a flow) waits for the next firing.
    private static void TakeOneOfEach(FlowNode join, List<string> arrived)
    {
        var toTake = new HashSet<string>(join.Incoming.Count, StringComparer.Ordinal);
        foreach (var incoming in join.Incoming)
        {
            toTake.Add(incoming.Id);
        }

        arrived.RemoveAll(id => toTake.Remove(id));
    }

    private static bool HasJoinArrivals(InstanceState state)
    {
        foreach (var element in state.Elements.Values)
        {
            if (element.JoinArrivals is { Count: > 0 })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An inclusive join fires once no token in its scope can still reach it.</summary>
    private bool SettleInclusiveJoins()
    {
        var fired = false;
        foreach (var instance in execution.Unit.Instances)
        {
            var state = instance.State;
            if (!HasJoinArrivals(state))
            {
                continue; // the usual case: nothing waits at a join
            }

            foreach (var scope in state.Elements.Values.Where(e => e.JoinArrivals is { Count: > 0 }).ToList())
            {
                foreach (var (gatewayId, arrived) in scope.JoinArrivals!.ToList())
                {
                    var join = instance.Definition.Node(gatewayId);
                    if (ElementBehaviours.JoinOf(join) != JoinRule.Inclusive || arrived.Count == 0 || CanStillArrive(instance, scope, join))
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

    /// <summary>Whether a token of <paramref name="scope"/> can still reach <paramref name="join"/> (whose <see cref="FlowNode.Upstream"/> is known).</summary>
    public static bool CanStillArrive(LoadedInstance instance, ElementInstance scope, FlowNode join)
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

    // ---------------------------------------------------------------- scopes

    /// <summary>A scope whose last token ended completes: a sub-process continues its parent, the process ends.</summary>
    private async ValueTask<bool> SettleScopesAsync()
    {
        if (_scopesToCheck is not { Count: > 0 })
        {
            return false;
        }

        var progressed = false;
        var scopes = _scopesToCheck.ToList();
        _scopesToCheck.Clear();
        foreach (var (instance, scopeKey) in scopes)
        {
            var state = instance.State;
            if (!state.Elements.TryGetValue(scopeKey, out var scope))
            {
                continue;
            }

            if (scopeKey != InstanceState.RootKey && !scope.IsMultiInstanceBody && instance.Definition.Node(scope.ElementId) is { Kind: NodeKind.AdHocSubProcess } adHoc)
            {
                // An ad-hoc sub-process decides by its completion rule, with inner elements still active or not.
                progressed |= await AdHocSubProcessBehaviour.SettleAsync(execution, instance, scope, adHoc).ConfigureAwait(false);
                continue;
            }

            if (ElementTree.HasActiveChildren(state, scopeKey) || scope.JoinArrivals is { Count: > 0 })
            {
                continue;
            }

            progressed = true;
            if (scopeKey == InstanceState.RootKey)
            {
                await ProcessBehaviour.CompleteAsync(execution, instance, scope).ConfigureAwait(false);
            }
            else if (!scope.IsMultiInstanceBody)
            {
                var node = instance.Definition.Node(scope.ElementId);
                if (ElementBehaviours.Find(node) is not { } behaviour
                    || !await behaviour.ChildrenEndedAsync(execution, instance, scope, node).ConfigureAwait(false))
                {
                    EnqueueComplete(instance, scopeKey);
                }
            }
        }

        return progressed;
    }
}
