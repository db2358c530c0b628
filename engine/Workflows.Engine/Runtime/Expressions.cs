using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>Evaluates the model's expressions for a step; a value that is needed and missing fails the step.</summary>
/// <remarks>An evaluation stops on the command's token (<paramref name="cancellation"/>): an instance cancelled meanwhile ends it.</remarks>
internal sealed class Expressions(TimeProvider time, WorkflowEngineOptions options, CancellationToken cancellation)
{
    /// <summary>
    /// Evaluates an expression of the model. Where a value is needed (a condition, a timer, a name, a
    /// key) a null that FEEL explains with warnings fails the step; a mapping (<paramref name="nullAllowed"/>)
    /// may well map a missing variable to null.
    /// </summary>
    /// <remarks>
    /// <paramref name="named"/> names what is evaluated after <paramref name="what"/> (<c>the condition of flow 'f1'</c>):
    /// the message is put together only when the step fails.
    /// </remarks>
    public object? Evaluate(ModelExpression expression, IFeelScope scope, FlowNode node, string what, bool nullAllowed = false, string? named = null) =>
        expression.Feel is null ? expression.Text : Evaluate(expression.Feel, scope, node, what, nullAllowed, named);

    public object? Evaluate(FeelExpression expression, IFeelScope scope, FlowNode node, string what, bool nullAllowed = false, string? named = null)
    {
        FeelResult result;
        try
        {
            result = expression.Evaluate(scope, time, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Every failure of an evaluation, a FEEL budget breached (FeelLimitExceededException) included,
            // stops the step with an incident on the element; none reaches the command or the host.
            var setting = e is FeelLimitExceededException limit ? $" (set as {options.SettingName("Parser.Feel." + limit.Setting)})" : "";
            throw new StepFailedException($"{Describe(what, named)} of {node} ({expression.Text.Trim()}) failed: {e.Message}{setting}");
        }
        if (result.Value is null && result.Warnings.Count > 0 && !nullAllowed)
        {
            throw new StepFailedException($"{Describe(what, named)} of {node} ({expression.Text.Trim()}) failed: {string.Join("; ", result.Warnings)}");
        }

        // A value nested deeper than a variable may be would make a state that cannot be stored and read back: the step
        // fails here, before anything takes the value (a mapping, a script's result, an output collection).
        if (result.Value is List<object?> or FeelContext && VariableDepth.Of(result.Value, options.Limits.MaxVariableDepth) > options.Limits.MaxVariableDepth)
        {
            throw new StepFailedException($"{Describe(what, named)} of {node} ({Shorten(expression.Text.Trim())}) gave a value nesting lists and contexts more than {options.Limits.MaxVariableDepth} levels deep, "
                + $"deeper than a variable may be ({options.SettingName("Limits." + nameof(ExecutionLimits.MaxVariableDepth))} = {options.Limits.MaxVariableDepth})");
        }

        // A text holding a NUL (a FEEL "\u0000" escape) is kept by no store alike (PostgreSQL refuses the whole command,
        // which the caller would be blamed for): the step fails here, naming what gave it, before anything takes the value.
        if (StorableText.FirstNulIn(result.Value) is { } at)
        {
            throw new StepFailedException(StorableText.NulInResult($"{Describe(what, named)} of {node} ({Shorten(expression.Text.Trim())}) gave", at));
        }

        return result.Value;
    }

    private static string Shorten(string text) => text.Length > 120 ? text[..117] + "..." : text;

    private static string Describe(string what, string? named) => named is null ? what : $"{what} '{named}'";

    public string EvaluateString(ModelExpression expression, IFeelScope scope, FlowNode node, string what)
    {
        var value = Evaluate(expression, scope, node, what);
        return value switch
        {
            string s => s,
            decimal d => FeelValue.FormatNumber(d),
            null => throw new StepFailedException($"{what} of {node} ({expression.Text.Trim()}) gave null"),
            _ => FeelValue.ToFeelString(value) ?? "",
        };
    }

    /// <summary>
    /// A correlation key, as Zeebe reads one: a string as it is, a number as the integer it truncates to (Zeebe's
    /// <c>Long.toString(number.longValue())</c>: <c>12.7</c> correlates as <c>"12"</c>); any other type (a boolean, a
    /// list, a context, a date) and null fail the step naming the element and the type, since a key no one can
    /// publish would leave the instance waiting for ever.
    /// </summary>
    public string EvaluateCorrelationKey(ModelExpression expression, IFeelScope scope, FlowNode node)
    {
        var value = Evaluate(expression, scope, node, "the correlation key");
        return value switch
        {
            string s => s,
            decimal d => FeelValue.FormatNumber(decimal.Truncate(d)),
            null => throw new StepFailedException($"the correlation key of {node} ({expression.Text.Trim()}) gave null; it must be a string or a number"),
            _ => throw new StepFailedException(
                $"the correlation key of {node} ({expression.Text.Trim()}) must be a string or a number, but was a {FeelValue.TypeName(value)}: {FeelValue.ToFeelString(value)}"),
        };
    }

    /// <summary>
    /// The correlation key a catch waits for: as <see cref="EvaluateCorrelationKey"/>, and one a message can carry. An
    /// empty key, or one longer than <see cref="ExecutionLimits.MaxCorrelationKeyLength"/>, fails the step: its
    /// subscription would wait for a message no publisher can send.
    /// </summary>
    public string EvaluateCatchCorrelationKey(ModelExpression expression, IFeelScope scope, FlowNode node)
    {
        var key = EvaluateCorrelationKey(expression, scope, node);
        var limit = options.Limits.MaxCorrelationKeyLength;
        if (key.Length == 0)
        {
            throw new StepFailedException($"the correlation key of {node} ({Shorten(expression.Text.Trim())}) gave an empty text: no message can be published with an empty key, so none would ever reach this catch");
        }

        if (key.Length > limit)
        {
            throw new StepFailedException($"the correlation key of {node} ({Shorten(expression.Text.Trim())}) gave a text of {key.Length:N0} characters, longer than a message's key may be "
                + $"({options.SettingName("Limits." + nameof(ExecutionLimits.MaxCorrelationKeyLength))} = {limit}): no message could ever reach this catch");
        }

        return key;
    }

    /// <summary>A customer id or branch for a task or clock, as the process's <c>wf:journey</c> says (a missing value is none).</summary>
    // Read at every commit for the instance's own row, and for each task and clock: the usual mapping is a bare
    // variable (=customerId), looked up without an evaluator or the warning a missing variable would write.
    public string? Party(LoadedInstance instance, ElementInstance element, ModelExpression expression)
    {
        var value = expression.Feel switch
        {
            null => expression.Text,
            { VariableName: { } name } => new ElementScope(instance.State, element).TryResolve(name, out var found) ? found : null,
            var feel => EvaluateParty(feel, new ElementScope(instance.State, element)),
        };
        return value switch
        {
            null => null,
            string s => s,
            decimal d => FeelValue.FormatNumber(d),
            _ => FeelValue.ToFeelString(value),
        };
    }

    // Read while committing: an expression over its budget names no party rather than failing the commit.
    private object? EvaluateParty(FeelExpression feel, IFeelScope scope)
    {
        try
        {
            return feel.Evaluate(scope, time, cancellation).Value;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }
}
