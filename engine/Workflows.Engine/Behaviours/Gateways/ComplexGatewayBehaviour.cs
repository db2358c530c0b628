using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Gateways;

/// <summary>
/// The complex gateway. As a fork it is an inclusive gateway: every outgoing flow whose condition is true,
/// else the default. As a join it follows the BPMN 2.0 specification's two states, kept per scope in the
/// instance state: <em>waiting for start</em>, it collects tokens until its <c>activationCondition</c> is
/// true, fires once, consuming one token from each incoming flow that has one, and turns to <em>waiting for
/// reset</em>; there it consumes, without firing again, one token from each incoming flow it did not consume
/// from, and goes back to waiting for start when each of those delivered or none of them can deliver any more.
/// </summary>
/// <remarks>
/// The condition is FEEL and sees <c>activationCount</c>, the number of incoming flows holding a token, with
/// the scope's variables. It is evaluated when the command's tokens have come to rest after a token arrived
/// (tokens that arrive in the same step are counted together). A condition that fails, or gives something
/// other than a boolean, is an incident on the gateway whose retry evaluates it again. Tokens a second time on
/// a flow wait for the next round. A condition that never becomes true keeps its tokens, and so its scope,
/// waiting: as the specification says, the gateway then never fires.
/// </remarks>
internal sealed class ComplexGatewayBehaviour : ElementBehaviour
{
    private const string ActivationCount = "activationCount";

    public override FlowRule Flows => FlowRule.EveryTrue;

    public override JoinRule Join => JoinRule.Complex;

    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        // Fired by Settle (which hands over the count it fired with), or a single-flow gateway passing on;
        // otherwise this is the retry of a condition that failed, which decides again.
        if (node.Incoming.Count <= 1 || trigger?.ContainsKey(ActivationCount) == true || TryFire(execution, instance, instance.State.Elements[element.ParentKey], node))
        {
            execution.EnqueueComplete(instance, element.Key);
        }
        else
        {
            execution.Elements.Leave(instance, element, HistoryKind.ElementTerminated); // not yet: the tokens wait on
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A token arrives on <paramref name="flow"/> at the complex join <paramref name="gateway"/>: consumed when the gateway
    /// waits for reset and expects it, otherwise kept until the activation condition is next evaluated.
    /// </summary>
    public static void Arrive(ElementInstance scope, FlowNode gateway, SequenceFlow flow)
    {
        if (scope.ComplexResets?.GetValueOrDefault(gateway.Id) is { } expected && expected.Remove(flow.Id))
        {
            if (expected.Count == 0)
            {
                EndReset(scope, gateway);
            }

            return;
        }

        scope.JoinArrivals ??= [];
        if (!scope.JoinArrivals.TryGetValue(gateway.Id, out var arrived))
        {
            scope.JoinArrivals[gateway.Id] = arrived = [];
        }

        arrived.Add(flow.Id);
    }

    /// <summary>
    /// Once no token is in flight: fires each complex join whose activation condition is now true, and ends the reset of
    /// those that wait for tokens that can no longer come. Returns whether anything moved.
    /// </summary>
    public static bool Settle(Execution execution)
    {
        var moved = false;
        foreach (var instance in execution.Unit.Instances)
        {
            var state = instance.State;
            if (!instance.Definition.HasComplexJoins || !state.Elements.Values.Any(e => e.ComplexResets is { Count: > 0 } || e.JoinArrivals is { Count: > 0 }))
            {
                continue; // the usual case: nothing waits at a join
            }

            foreach (var scope in state.Elements.Values.Where(e => e.ComplexResets is { Count: > 0 } || e.JoinArrivals is { Count: > 0 }).ToList())
            {
                foreach (var gatewayId in scope.ComplexResets?.Keys.ToList() ?? [])
                {
                    var gateway = instance.Definition.Node(gatewayId);
                    if (!TokenLoop.CanStillArrive(instance, scope, gateway))
                    {
                        EndReset(scope, gateway);
                        moved = true;
                    }
                }

                foreach (var gatewayId in scope.JoinArrivals?.Keys.ToList() ?? [])
                {
                    var gateway = instance.Definition.Node(gatewayId);
                    if (gateway.Kind == NodeKind.ComplexGateway && scope.ComplexResets?.ContainsKey(gatewayId) != true && !HasIncident(state, scope, gateway))
                    {
                        moved |= SettleGateway(execution, instance, scope, gateway);
                    }
                }
            }
        }

        return moved;
    }

    private static bool SettleGateway(Execution execution, LoadedInstance instance, ElementInstance scope, FlowNode gateway)
    {
        var count = scope.JoinArrivals![gateway.Id].Distinct().Count();
        try
        {
            if (!TryFire(execution, instance, scope, gateway))
            {
                return false;
            }
        }
        catch (StepFailedException e)
        {
            // The gateway gets an element instance to hold the incident; its retry evaluates again (ActivateAsync).
            var holder = execution.Elements.NewElement(instance, scope.Key, gateway);
            execution.Incidents.Raise(instance, holder, IncidentPhase.Activate, e.Message);
            return true;
        }

        execution.EnqueueActivate(instance, scope.Key, gateway, new FeelContext { [ActivationCount] = (decimal)count });
        return true;
    }

    // Evaluates the activation condition; when it holds, consumes one token per flow that has one and starts the reset.
    private static bool TryFire(Execution execution, LoadedInstance instance, ElementInstance scope, FlowNode gateway)
    {
        if (scope.JoinArrivals?.GetValueOrDefault(gateway.Id) is not { Count: > 0 } arrived)
        {
            return false;
        }

        var flows = arrived.Distinct().ToList();
        var condition = gateway.ActivationCondition ?? throw new StepFailedException($"{gateway} has no activation condition");
        var variables = new ContextScope(new FeelContext { [ActivationCount] = (decimal)flows.Count }, new ElementScope(instance.State, scope));
        var value = execution.Expressions.Evaluate(condition, variables, gateway, "the activation condition");
        if (value is not bool fire)
        {
            throw new StepFailedException($"the activation condition of {gateway} ({condition.Text.Trim()}) gave {FeelValue.ToDisplayString(value)}, not a boolean");
        }

        if (!fire)
        {
            return false;
        }

        foreach (var flow in flows)
        {
            arrived.Remove(flow);
        }

        if (arrived.Count == 0)
        {
            scope.JoinArrivals!.Remove(gateway.Id);
        }

        var expected = gateway.Incoming.Select(f => f.Id).Where(id => !flows.Contains(id)).ToList();
        if (expected.Count > 0)
        {
            (scope.ComplexResets ??= [])[gateway.Id] = expected;
        }

        return true;
    }

    private static void EndReset(ElementInstance scope, FlowNode gateway)
    {
        scope.ComplexResets!.Remove(gateway.Id);
        if (scope.ComplexResets.Count == 0)
        {
            scope.ComplexResets = null;
        }
    }

    private static bool HasIncident(InstanceState state, ElementInstance scope, FlowNode gateway) =>
        state.Elements.Values.Any(e => e.ParentKey == scope.Key && e.ElementId == gateway.Id && e.IncidentId is not null);
}
