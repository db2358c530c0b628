using Workflows.Engine.Behaviours;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>How an element's outgoing flows are chosen when it completes (its behaviour says which rule).</summary>
internal enum FlowRule
{
    /// <summary>Flows with a true condition and those without one; the default flow when none is true.</summary>
    Conditional,

    /// <summary>Every outgoing flow, conditions unread (the parallel gateway).</summary>
    All,

    /// <summary>No flow: the element's events decide where the token goes (the event-based gateway).</summary>
    None,

    /// <summary>The first flow whose condition is true, else the default; every flow needs a condition.</summary>
    FirstTrue,

    /// <summary>Every flow whose condition is true, else the default; every flow needs a condition.</summary>
    EveryTrue,
}

/// <summary>Chooses the flows a completing element takes, evaluating their conditions with its pending outputs in view.</summary>
internal sealed class FlowSelection(Execution execution)
{
    public List<SequenceFlow> Select(LoadedInstance instance, ElementInstance element, FlowNode node, List<(string Name, object? Value)> pendingOutputs)
    {
        var rule = ElementBehaviours.FlowRuleOf(node);
        var outgoing = node.Outgoing;
        if (outgoing.Count == 0 || rule == FlowRule.None)
        {
            return [];
        }

        if (rule == FlowRule.All || (outgoing.Count == 1 && outgoing[0].Condition is null))
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

        var conditionsRequired = rule is FlowRule.FirstTrue or FlowRule.EveryTrue;
        var chosen = new List<SequenceFlow>();
        foreach (var flow in outgoing)
        {
            if (flow == node.DefaultFlow)
            {
                continue;
            }

            if (flow.Condition is null)
            {
                if (conditionsRequired)
                {
                    throw new StepFailedException($"the outgoing flow '{flow.Id}' has no condition");
                }

                chosen.Add(flow);
                continue;
            }

            var result = execution.Expressions.Evaluate(flow.Condition, scope, node, "the condition of flow", named: flow.Id);
            if (result is not bool taken)
            {
                throw new StepFailedException($"the condition of flow '{flow.Id}' ({flow.Condition.Text.Trim()}) gave {FeelValue.ToDisplayString(result)}, not a boolean");
            }

            if (taken)
            {
                chosen.Add(flow);
                if (rule == FlowRule.FirstTrue)
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
            else if (conditionsRequired)
            {
                throw new StepFailedException("no outgoing flow's condition is true and there is no default flow");
            }
        }

        return chosen;
    }
}
