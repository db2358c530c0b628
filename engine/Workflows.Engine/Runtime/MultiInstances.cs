using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Multi-instance activities: the body evaluates its collection or cardinality and starts its inner
/// instances (all at once, or one after another); each inner instance's completion fills the output
/// collection and checks the completion condition. A standard loop's body is run by <see cref="StandardLoops"/>.
/// </summary>
internal sealed class MultiInstances(Execution execution)
{
    private readonly StandardLoops _standardLoops = new(execution);

    public async ValueTask ActivateBodyAsync(LoadedInstance instance, ElementInstance body, FlowNode node)
    {
        if (node.StandardLoop is not null)
        {
            await _standardLoops.ActivateBodyAsync(instance, body, node).ConfigureAwait(false);
            return;
        }

        var mi = node.MultiInstance!;
        var scope = new ElementScope(instance.State, body);
        List<object?>? items = null;
        int total;
        if (mi.InputCollection is not null)
        {
            var value = execution.Expressions.Evaluate(mi.InputCollection, scope, node, "the input collection");
            items = value as List<object?> ?? throw new StepFailedException($"the input collection of {node} gave {FeelValue.ToDisplayString(value)}, not a list");
            total = items.Count;
        }
        else
        {
            var value = execution.Expressions.Evaluate(mi.LoopCardinality!, scope, node, "the loop cardinality");
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
            await execution.Waits.OpenBoundaryWaitsAsync(instance, body, node).ConfigureAwait(false);
        }

        if (total == 0)
        {
            execution.Tokens.EnqueueComplete(instance, body.Key);
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

        // An output element that names a variable (or a member of one) starts as a local null of the inner
        // instance (as Zeebe does): what the inner instance sets under that name stays local to it and never
        // leaks to the parent scope, and each inner instance reads its own value.
        if (OutputVariableName(node.MultiInstance.OutputElement) is { } outputVariable && !inner.Variables.ContainsKey(outputVariable))
        {
            inner.Variables[outputVariable] = null;
        }

        instance.State.Elements[inner.Key] = inner;
        execution.Unit.History(instance, HistoryKind.ElementEntered, node.Id, inner.Key);
        await execution.Elements.RunActivationAsync(instance, inner, node, null).ConfigureAwait(false);
    }

    private static string? OutputVariableName(ModelExpression? outputElement)
    {
        var text = outputElement?.Text.Trim().TrimStart('=').Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // A variable or a path into one (a.b): its first name; any other expression has no variable to make local.
        var parts = text.Split('.');
        return !char.IsDigit(parts[0][0]) && parts.All(p => p.Length > 0 && p.All(c => char.IsLetterOrDigit(c) || c == '_'))
            ? parts[0]
            : null;
    }

    public async ValueTask CompleteInnerAsync(LoadedInstance instance, ElementInstance inner, FlowNode node, FeelContext? variables)
    {
        if (node.StandardLoop is not null)
        {
            await _standardLoops.CompletePassAsync(instance, inner, node).ConfigureAwait(false);
            return;
        }

        var mi = node.MultiInstance!;
        var body = instance.State.Elements[inner.ParentKey];
        if (mi.OutputCollection is { } output && mi.OutputElement is { } outputElement)
        {
            IFeelScope scope = new ElementScope(instance.State, inner);
            if (variables is not null)
            {
                scope = new ContextScope(variables, scope);
            }

            var value = execution.Expressions.Evaluate(outputElement, scope, node, "the output element", nullAllowed: true);
            if (body.Variables?[output] is List<object?> collection && inner.LoopCounter - 1 < collection.Count)
            {
                collection[inner.LoopCounter - 1] = value;
            }
        }

        execution.Elements.Leave(instance, inner, HistoryKind.ElementCompleted);
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
                // The inner instance that just completed: its input element, loop counter and locals are visible.
                new ElementScope(instance.State, inner));
            bool done;
            try
            {
                done = execution.Expressions.Evaluate(condition, scope, node, "the completion condition") is true;
            }
            catch (StepFailedException e)
            {
                execution.Incidents.Raise(instance, body, IncidentPhase.Complete, e.Message);
                return;
            }

            if (done)
            {
                foreach (var other in ElementTree.Children(instance.State, body.Key))
                {
                    await execution.Elements.TerminateAsync(instance, other).ConfigureAwait(false);
                }

                execution.Tokens.EnqueueComplete(instance, body.Key);
                return;
            }
        }

        if (mi.IsSequential && body.Started < body.Total)
        {
            await StartInnerAsync(instance, body, node).ConfigureAwait(false);
        }
        else if (body.Completed >= body.Total)
        {
            execution.Tokens.EnqueueComplete(instance, body.Key);
        }
    }
}
