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
            total = Cardinality(node, value);
        }

        RefuseTooMany(node, total);
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
            if (!instance.State.Elements.ContainsKey(body.Key))
            {
                return; // a buffered message interrupted it at once: no inner instance starts
            }
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

    // A whole number, as Zeebe requires (2.5 is no count of instances), and one an int holds.
    private static int Cardinality(FlowNode node, object? value) => value switch
    {
        decimal d when d < 0 || d != decimal.Truncate(d) =>
            throw new StepFailedException($"the loop cardinality of {node} gave {FeelValue.ToDisplayString(value)}, not a whole number of instances (0 or more)"),
        decimal d when d > int.MaxValue =>
            throw new StepFailedException($"the loop cardinality of {node} gave {FeelValue.ToDisplayString(value)}, more instances than an activity can have ({int.MaxValue:N0})"),
        decimal d => (int)d,
        _ => throw new StepFailedException($"the loop cardinality of {node} gave {FeelValue.ToDisplayString(value)}, not a whole number of instances (0 or more)"),
    };

    /// <summary>
    /// Refuses, before anything is made, a body the engine could not hold: a parallel one opening more inner instances
    /// at once than a command may enter elements, or an output collection (one null per instance to begin with) larger
    /// than a variable may be. Either would otherwise cost the memory of it all before any budget could stop it.
    /// </summary>
    private void RefuseTooMany(FlowNode node, int total)
    {
        var options = execution.Engine.Options;
        var maxElements = options.Limits.MaxElementsPerCommand;
        if (!node.MultiInstance!.IsSequential && total > maxElements)
        {
            throw new StepFailedException($"{node} would open {total:N0} parallel instances at once, more than a command may enter "
                + $"({options.SettingName("Limits." + nameof(ExecutionLimits.MaxElementsPerCommand))} = {maxElements:N0}); make it sequential or split the collection");
        }

        // "null," per item as JSON: the collection's size before any inner instance has filled it.
        const int BytesPerNull = 5;
        if (node.MultiInstance.OutputCollection is { } output && (long)total * BytesPerNull > options.MaxVariablesBytes)
        {
            throw new StepFailedException($"the output collection '{output}' of {node} would hold {total:N0} items, larger than a variable may be "
                + $"({options.SettingName(nameof(WorkflowEngineOptions.MaxVariablesBytes))} = {options.MaxVariablesBytes:N0} bytes as JSON)");
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

        await DecideAsync(instance, body, inner, node).ConfigureAwait(false);
    }

    /// <summary>
    /// Retries the completion of an inner instance whose completion condition failed: the condition decides again, in
    /// the inner instance (still there, with its item and locals), so no item is skipped.
    /// </summary>
    public ValueTask RetryCompletionAsync(LoadedInstance instance, ElementInstance inner, FlowNode node) =>
        DecideAsync(instance, instance.State.Elements[inner.ParentKey], inner, node);

    // The completion condition is evaluated while the inner instance completes, as Zeebe does: when it fails, the
    // incident stops that inner instance (not the body, whose retry would complete it and skip the items not yet run).
    private async ValueTask DecideAsync(LoadedInstance instance, ElementInstance body, ElementInstance inner, FlowNode node)
    {
        var mi = node.MultiInstance!;
        var done = false;
        if (mi.CompletionCondition is { } condition)
        {
            var scope = new ContextScope(
                new FeelContext
                {
                    ["numberOfInstances"] = (decimal)body.Total,
                    ["numberOfCompletedInstances"] = (decimal)(body.Completed + 1), // counting the one that completes
                    ["numberOfActiveInstances"] = (decimal)(body.Started - body.Completed - 1),
                },
                // The inner instance that completes: its input element, loop counter and locals are visible.
                new ElementScope(instance.State, inner));
            try
            {
                var value = execution.Expressions.Evaluate(condition, scope, node, "the completion condition");
                done = value as bool? ?? throw new StepFailedException($"the completion condition of {node} ({condition.Text.Trim()}) gave {FeelValue.ToDisplayString(value)}, not a boolean");
            }
            catch (StepFailedException e)
            {
                // Its work is done (the job answered, the task completed): they close now; only the decision is retried.
                if (inner.JobId is { } job)
                {
                    execution.Unit.Changes.JobsClosed.Add(job);
                    inner.JobId = null;
                }

                if (inner.TaskId is { } task)
                {
                    execution.Unit.Changes.TasksClosed.Add((task, Storage.TaskStatus.Completed));
                    inner.TaskId = null;
                }

                execution.Incidents.Raise(instance, inner, IncidentPhase.CompletionCondition, e.Message);
                return;
            }
        }

        execution.Elements.Leave(instance, inner, HistoryKind.ElementCompleted);
        body.Completed++;
        if (done)
        {
            foreach (var other in ElementTree.Children(instance.State, body.Key))
            {
                await execution.Elements.TerminateAsync(instance, other).ConfigureAwait(false);
            }

            execution.Tokens.EnqueueComplete(instance, body.Key);
            return;
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
