using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Behaviours.Tasks;

/// <summary>A script task: its FEEL expression's result becomes its result variable.</summary>
internal sealed class ScriptTaskBehaviour : ElementBehaviour
{
    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        var script = node.Script ?? throw new StepFailedException("the script task has no script");
        var result = execution.Expressions.Evaluate(script.Expression, new ElementScope(instance.State, element), node, "the script", named: script.ResultVariable);
        var written = new FeelContext { [script.ResultVariable] = result };
        if (execution.Budget.VariablesOverLimit(written) is { } bytes)
        {
            throw execution.Budget.VariablesTooLarge($"the result of the script of {node}", bytes);
        }

        execution.EnqueueComplete(instance, element.Key, written);
        return ValueTask.CompletedTask;
    }
}
