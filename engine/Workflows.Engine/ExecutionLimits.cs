namespace Workflows.Engine;

/// <summary>The budgets of one command's token run, so that no deployed model can stop the host.</summary>
/// <remarks>
/// A breach is an incident on the element, naming the budget and its setting; nothing the tokens did in that
/// command is committed (docs/limits.md). The defaults are far above what any journey of the library needs.
/// Set them through <c>WorkflowEngineOptions.Limits</c>. The size of the variables a script or a job handler
/// writes is held to <c>WorkflowEngineOptions.MaxVariablesBytes</c>, the limit commands from outside already have.
/// </remarks>
public sealed class ExecutionLimits
{
    /// <summary>
    /// How many elements the tokens of one instance (with the instances it called in the same command) may enter
    /// in one command without waiting: every activity, event, gateway and inner multi-instance counts once per pass.
    /// Default 10,000.
    /// </summary>
    public int MaxElementsPerCommand { get; set; } = 10_000;

    /// <summary>What is wrong with the budgets, one message per wrong setting naming it; empty when all are right.</summary>
    public IReadOnlyList<string> Check() =>
        MaxElementsPerCommand < 1
            ? [$"{nameof(WorkflowEngineOptions)}.Limits.{nameof(MaxElementsPerCommand)} must be at least 1 (it is {MaxElementsPerCommand})"]
            : [];
}
