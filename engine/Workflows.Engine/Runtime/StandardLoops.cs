using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Standard loops (<c>bpmn:standardLoopCharacteristics</c>): a loop body, like a sequential multi-instance
/// body, runs the activity one pass after another while the loop condition holds.
/// </summary>
/// <remarks>
/// The condition is tested before each pass when <c>testBefore</c> is true (a while loop: a false condition
/// runs the activity zero times) and after each pass otherwise (a do-while loop: at least one pass).
/// Each pass is an inner element instance with its own <c>loopCounter</c> (1, 2, …), its own input and output
/// mappings and its own history; the variables a pass sets go where any activity's would, so the condition
/// after the pass sees them, with <c>loopCounter</c> the number of the pass just done (0 before the first).
/// <c>loopMaximum</c> caps the passes. The body keeps its progress in the instance state (passes started and
/// completed, the cap), so a pass may wait across commands. A loop that never waits and never ends stops at
/// the element budget with an incident.
/// </remarks>
internal sealed class StandardLoops(Execution execution)
{
    // No cap: Total is the stored cap of passes, and a negative one means none.
    private const int NoMaximum = -1;

    public async ValueTask ActivateBodyAsync(LoadedInstance instance, ElementInstance body, FlowNode node)
    {
        var loop = node.StandardLoop!;
        if (node.Boundaries.Count > 0)
        {
            await execution.Waits.OpenBoundaryWaitsAsync(instance, body, node).ConfigureAwait(false);
        }

        if (body.Started > 0)
        {
            // A retry after the condition failed: decide again as after the last pass.
            await NextAsync(instance, body, node, new ContextScope(Counter(body.Completed), new ElementScope(instance.State, body))).ConfigureAwait(false);
            return;
        }

        body.Total = loop.Maximum ?? NoMaximum;
        if (loop.TestBefore)
        {
            await NextAsync(instance, body, node, new ContextScope(Counter(0), new ElementScope(instance.State, body))).ConfigureAwait(false);
            return;
        }

        if (body.Total == 0)
        {
            execution.Tokens.EnqueueComplete(instance, body.Key);
            return;
        }

        await StartPassAsync(instance, body, node).ConfigureAwait(false);
    }

    public async ValueTask CompletePassAsync(LoadedInstance instance, ElementInstance pass, FlowNode node)
    {
        var body = instance.State.Elements[pass.ParentKey];
        execution.Elements.Leave(instance, pass, HistoryKind.ElementCompleted);
        body.Completed++;

        // The pass just done is in view: its loop counter and its locals, then everything above it.
        await NextAsync(instance, body, node, new ElementScope(instance.State, pass)).ConfigureAwait(false);
    }

    // Another pass when the cap allows it and the condition (if any) holds; otherwise the body completes.
    private async ValueTask NextAsync(LoadedInstance instance, ElementInstance body, FlowNode node, IFeelScope scope)
    {
        var loop = node.StandardLoop!;
        var again = body.Total < 0 || body.Completed < body.Total;
        if (again && loop.Condition is { } condition)
        {
            try
            {
                var value = execution.Expressions.Evaluate(condition, scope, node, "the loop condition");
                again = value as bool? ?? throw new StepFailedException($"the loop condition of {node} ({condition.Text.Trim()}) gave {FeelValue.ToDisplayString(value)}, not a boolean");
            }
            catch (StepFailedException e)
            {
                // The retry activates the body again, which decides again from the passes done.
                execution.Incidents.Raise(instance, body, IncidentPhase.Activate, e.Message);
                return;
            }
        }

        if (again)
        {
            await StartPassAsync(instance, body, node).ConfigureAwait(false);
        }
        else
        {
            execution.Tokens.EnqueueComplete(instance, body.Key);
        }
    }

    private async ValueTask StartPassAsync(LoadedInstance instance, ElementInstance body, FlowNode node)
    {
        var number = ++body.Started;
        var pass = new ElementInstance { Key = instance.State.NextKey++, ElementId = node.Id, ParentKey = body.Key, IsMultiInstanceInner = true, LoopCounter = number };
        pass.Variables = Counter(number);
        instance.State.Elements[pass.Key] = pass;
        execution.Unit.History(instance, HistoryKind.ElementEntered, node.Id, pass.Key, $"pass {number}");
        await execution.Elements.RunActivationAsync(instance, pass, node, null).ConfigureAwait(false);
    }

    private static FeelContext Counter(int number) => new() { ["loopCounter"] = (decimal)number };
}
