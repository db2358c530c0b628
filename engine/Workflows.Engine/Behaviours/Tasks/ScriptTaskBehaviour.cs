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
        var result = execution.Expressions.Evaluate(script.Expression, new ElementScope(instance.State, element), node, "script");
        var written = new FeelContext { [script.ResultVariable] = result };
        execution.Budget.CheckVariables(written, $"the result of the script of {node}");
        execution.EnqueueComplete(instance, element.Key, written);
        return ValueTask.CompletedTask;
    }
}
