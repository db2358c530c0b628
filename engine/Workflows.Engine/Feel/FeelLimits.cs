namespace Workflows.Engine.Feel;

/// <summary>The budgets of one FEEL evaluation, so that no expression of a deployed model can stop the host.</summary>
/// <remarks>
/// A breach throws <see cref="FeelLimitExceededException"/>, which names the budget and its setting; the
/// engine turns it into an incident on the element whose expression it was. The defaults are far above
/// what any journey needs (docs/feel.md, "Budgets"). Set them through
/// <c>WorkflowEngineOptions.Parser.Feel</c>: the limits travel with the expressions parsed at deploy.
/// </remarks>
public sealed class FeelLimits
{
    /// <summary>The limits used when none are given.</summary>
    public static FeelLimits Default { get; } = new();

    /// <summary>
    /// How deep function calls may nest in one evaluation (a recursive FEEL function counts each call),
    /// and how deep an expression may nest when it is parsed. Default 64.
    /// </summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>How many steps (expression nodes evaluated, loop iterations, items compared) one evaluation may take. Default 1,000,000.</summary>
    public int MaxSteps { get; init; } = 1_000_000;

    /// <summary>The most items a list or range made in one evaluation may hold (a <c>for</c>, a range, <c>concatenate</c>…). Default 100,000.</summary>
    public int MaxCollectionSize { get; init; } = 100_000;

    /// <summary>The longest string one evaluation may make, in characters. Default 1,000,000.</summary>
    public int MaxStringLength { get; init; } = 1_000_000;

    /// <summary>How long one regular-expression match (<c>matches</c>, <c>replace</c>, <c>split</c>) may run. Default 100 ms.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    internal void Validate()
    {
        if (MaxDepth < 1 || MaxSteps < 1 || MaxCollectionSize < 1 || MaxStringLength < 1 || RegexTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FeelLimits), "every FEEL limit must be positive");
        }
    }
}

/// <summary>A FEEL evaluation went over one of its budgets (<see cref="FeelLimits"/>); nothing it computed is used.</summary>
public sealed class FeelLimitExceededException : Exception
{
    internal FeelLimitExceededException(string setting, object limit, string what)
        : base($"{what}: the budget is FeelLimits.{setting} = {limit} (docs/feel.md, \"Budgets\")")
    {
        Setting = setting;
        Limit = limit;
    }

    /// <summary>The name of the <see cref="FeelLimits"/> property whose budget was exceeded, such as <c>MaxSteps</c>.</summary>
    public string Setting { get; }

    /// <summary>The value of that setting in the evaluation.</summary>
    public object Limit { get; }
}
