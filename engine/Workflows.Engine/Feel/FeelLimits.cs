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

    /// <summary>
    /// How long one evaluation may run, by the wall clock (not the engine's <see cref="TimeProvider"/>: this bounds the
    /// host's work, which a test's fake clock must not lift). Checked every few hundred steps and every million characters
    /// or items made. Default 5 s.
    /// </summary>
    public TimeSpan MaxEvaluationTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How much one evaluation may make, all together: the characters of every string it makes plus the items of every
    /// list and the entries of every context it makes. Each string stays within <see cref="MaxStringLength"/> and each list
    /// within <see cref="MaxCollectionSize"/>; this bounds their sum, so that a loop making many large strings cannot
    /// run the host out of memory. Default 64,000,000 (about 128 MB of characters).
    /// </summary>
    public long MaxAllocation { get; init; } = 64_000_000;

    /// <summary>What is wrong with the limits, one message per wrong setting naming it under <paramref name="path"/>; empty when all are right.</summary>
    internal IReadOnlyList<string> Check(string path = nameof(FeelLimits))
    {
        var errors = new List<string>();
        void Require(bool ok, string name, object value)
        {
            if (!ok)
            {
                errors.Add($"{path}.{name} must be positive (it is {value})");
            }
        }

        Require(MaxDepth >= 1, nameof(MaxDepth), MaxDepth);
        Require(MaxSteps >= 1, nameof(MaxSteps), MaxSteps);
        Require(MaxCollectionSize >= 1, nameof(MaxCollectionSize), MaxCollectionSize);
        Require(MaxStringLength >= 1, nameof(MaxStringLength), MaxStringLength);
        Require(RegexTimeout > TimeSpan.Zero, nameof(RegexTimeout), RegexTimeout);
        Require(MaxEvaluationTime > TimeSpan.Zero, nameof(MaxEvaluationTime), MaxEvaluationTime);
        Require(MaxAllocation >= 1, nameof(MaxAllocation), MaxAllocation);
        return errors;
    }

    internal void Validate()
    {
        if (Check() is { Count: > 0 } errors)
        {
            throw new ArgumentOutOfRangeException(nameof(FeelLimits), string.Join("; ", errors));
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
