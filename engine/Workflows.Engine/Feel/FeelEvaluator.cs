using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Workflows.Engine.Feel;

/// <summary>
/// Per-evaluation state: the clock behind <c>now()</c>, the warnings that explain a null result, and the
/// budgets (<see cref="FeelLimits"/>) the evaluation spends. FEEL never throws at run time for a type
/// error (that yields null and a warning, as the spec and Camunda 8 do); it throws
/// <see cref="FeelLimitExceededException"/> when a budget runs out, and <see cref="OperationCanceledException"/>
/// when its command is cancelled (the instance ended while it ran).
/// </summary>
internal sealed class FeelEvaluator
{
    // The clock and the cancellation are looked at every so many steps or made items, so that a step costs an
    // addition and a comparison; between two looks an evaluation does at most this much work.
    private const long StepsBetweenChecks = 256;
    private const long AllocationBetweenChecks = 1_000_000;

    private readonly CancellationToken _cancellation;
    private readonly long _deadline;
    private List<string>? _warnings;
    private int _quiet;
    private long _steps;
    private long _nextCheckAtStep = StepsBetweenChecks;
    private long _allocated;
    private long _nextCheckAtAllocation = AllocationBetweenChecks;
    private int _calls;

    public FeelEvaluator(TimeProvider time, FeelLimits limits, CancellationToken cancellation = default)
    {
        Time = time;
        Limits = limits;
        _cancellation = cancellation;
        var ticks = limits.MaxEvaluationTime.TotalSeconds * Stopwatch.Frequency;
        var now = Stopwatch.GetTimestamp();
        _deadline = ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    public TimeProvider Time { get; }

    /// <summary>Types FEEL does not define (a DMN model's item definitions), for <c>instance of</c>: whether a value is one; null when the name is unknown.</summary>
    public Func<string, object?, bool?>? NamedTypes { get; set; }

    public FeelLimits Limits { get; }

    /// <summary>Spends <paramref name="count"/> steps of the evaluation's budget.</summary>
    public void Step(long count = 1)
    {
        _steps += count;
        if (_steps > Limits.MaxSteps)
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.MaxSteps), Limits.MaxSteps, $"the expression took more than {Limits.MaxSteps:N0} steps");
        }

        if (_steps >= _nextCheckAtStep)
        {
            _nextCheckAtStep = _steps + StepsBetweenChecks;
            CheckClockAndCancellation();
        }
    }

    /// <summary>
    /// Counts what the evaluation made (<paramref name="size"/> characters of a string, items of a list, entries of a
    /// context) against <see cref="FeelLimits.MaxAllocation"/>: the sum of everything made, however short each piece.
    /// </summary>
    public void Allocate(long size, string what)
    {
        _allocated += size;
        if (_allocated > Limits.MaxAllocation)
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.MaxAllocation), Limits.MaxAllocation,
                $"the expression made more than {Limits.MaxAllocation:N0} characters and items in all (the last {what})");
        }

        // Making a large string takes time without taking steps: the clock is looked at by what is made too.
        if (_allocated >= _nextCheckAtAllocation)
        {
            _nextCheckAtAllocation = _allocated + AllocationBetweenChecks;
            CheckClockAndCancellation();
        }
    }

    /// <summary>
    /// Counts the characters <paramref name="value"/> takes written out (as JSON or as a FEEL literal, about) against
    /// <see cref="FeelLimits.MaxAllocation"/>, walking it no further than the budget left. A list may hold one large list
    /// many times: small in memory, within every budget of making it, yet n² items once written into an answer, a
    /// history row or a variable (review10-18 F5). Every shared reference is counted each time it would be written.
    /// </summary>
    public void AllocateWritten(object? value, string what) =>
        Allocate(FeelValue.EstimateLength(value, Math.Max(0, Limits.MaxAllocation - _allocated) + 1), what);

    private void CheckClockAndCancellation()
    {
        _cancellation.ThrowIfCancellationRequested();
        if (Stopwatch.GetTimestamp() > _deadline)
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.MaxEvaluationTime), Limits.MaxEvaluationTime,
                $"the expression ran longer than {Limits.MaxEvaluationTime.TotalMilliseconds:N0} ms ({_steps:N0} steps)");
        }
    }

    /// <summary>Called as a node is entered: one step, and the thread's stack checked so that no nesting overflows it.</summary>
    public void EnterNode()
    {
        Step();
        if ((_steps & 15) == 0 && !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.MaxDepth), Limits.MaxDepth, "the expression nests deeper than the thread's stack allows");
        }
    }

    /// <summary>Called as a function is invoked; a recursive function goes no deeper than the budget.</summary>
    public void EnterCall(string name)
    {
        if (++_calls > Limits.MaxDepth)
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.MaxDepth), Limits.MaxDepth, $"function calls nest more than {Limits.MaxDepth} deep (at '{name}'; is it recursive without end?)");
        }

        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.MaxDepth), Limits.MaxDepth, "function calls nest deeper than the thread's stack allows");
        }
    }

    public void ExitCall() => _calls--;

    /// <summary>Refuses a list or range of <paramref name="count"/> items when it is over the budget.</summary>
    public void CheckCollection(decimal count, string what)
    {
        if (count > Limits.MaxCollectionSize)
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.MaxCollectionSize), Limits.MaxCollectionSize, $"{what} would hold {count:N0} items");
        }
    }

    /// <summary>Refuses a string of <paramref name="length"/> characters when it is over the budget.</summary>
    public void CheckString(long length, string what)
    {
        if (length > Limits.MaxStringLength)
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.MaxStringLength), Limits.MaxStringLength, $"{what} would be {length:N0} characters long");
        }
    }

    /// <summary>
    /// Checks a value a function returned: lists and strings within their budgets. What a built-in returns is
    /// counted as made (<see cref="Allocate"/>); a lambda's body counted what it made itself.
    /// </summary>
    public object? CheckResult(object? value, FeelFunction function)
    {
        switch (value)
        {
            case List<object?> list:
                CheckCollection(list.Count, $"the list {function.Name}() made");
                if (function.IsBuiltIn)
                {
                    Allocate(list.Count, $"list {function.Name}() made");
                }

                break;
            case string s:
                CheckString(s.Length, $"the string {function.Name}() made");
                if (function.IsBuiltIn)
                {
                    Allocate(s.Length, $"string {function.Name}() made");
                }

                break;
            case FeelContext context when function.IsBuiltIn:
                Allocate(context.Count, $"context {function.Name}() made");
                break;
        }

        return value;
    }

    public IReadOnlyList<string> Warnings => (IReadOnlyList<string>?)_warnings ?? [];

    public void Warn(string message)
    {
        if (_quiet == 0)
        {
            (_warnings ??= []).Add(message);
        }
    }

    public object? Invalid(string message)
    {
        Warn(message);
        return null;
    }

    public object? Quietly(Func<object?> evaluate)
    {
        _quiet++;
        try
        {
            return evaluate();
        }
        finally
        {
            _quiet--;
        }
    }
}

internal static class FeelArithmetic
{
    public static object? Apply(FeelEvaluator ev, char op, object? left, object? right)
    {
        if (left is null || right is null)
        {
            return ev.Invalid($"can't apply '{Symbol(op)}' to {FeelValue.TypeName(left)} and {FeelValue.TypeName(right)}");
        }

        try
        {
            var result = ApplyCore(ev, op, left, right);
            return result ?? ev.Invalid($"can't apply '{Symbol(op)}' to {FeelValue.TypeName(left)} and {FeelValue.TypeName(right)}");
        }
        catch (OverflowException)
        {
            return ev.Invalid("number out of range");
        }
        catch (ArgumentOutOfRangeException)
        {
            return ev.Invalid("date out of range");
        }
    }

    private static string Symbol(char op) => op == '^' ? "**" : op.ToString();

    private static string Join(FeelEvaluator ev, string a, string b)
    {
        ev.CheckString((long)a.Length + b.Length, "the joined string");
        ev.Allocate((long)a.Length + b.Length, "string joined with +");
        return a + b;
    }

    private static object? ApplyCore(FeelEvaluator ev, char op, object left, object right) => (op, left, right) switch
    {
        ('+', decimal a, decimal b) => a + b,
        ('-', decimal a, decimal b) => a - b,
        ('*', decimal a, decimal b) => a * b,
        ('/', decimal _, decimal b) when b == 0 => null,
        ('/', decimal a, decimal b) => a / b,
        ('^', decimal a, decimal b) => Power(a, b),
        ('+', string a, string b) => Join(ev, a, b),

        ('+', DateOnly d, TimeSpan t) => DateOnly.FromDateTime(d.ToDateTime(TimeOnly.MinValue).Add(t)),
        ('-', DateOnly d, TimeSpan t) => DateOnly.FromDateTime(d.ToDateTime(TimeOnly.MinValue).Subtract(t)),
        ('+', TimeSpan t, DateOnly d) => DateOnly.FromDateTime(d.ToDateTime(TimeOnly.MinValue).Add(t)),
        ('+', DateOnly d, FeelYearMonthDuration y) => d.AddMonths(y.TotalMonths),
        ('-', DateOnly d, FeelYearMonthDuration y) => d.AddMonths(-y.TotalMonths),
        ('+', FeelYearMonthDuration y, DateOnly d) => d.AddMonths(y.TotalMonths),
        ('-', DateOnly a, DateOnly b) => a.ToDateTime(TimeOnly.MinValue) - b.ToDateTime(TimeOnly.MinValue),

        ('+', FeelDateTime d, TimeSpan t) => AddToDateTime(d, t),
        ('-', FeelDateTime d, TimeSpan t) => AddToDateTime(d, t.Negate()),
        ('+', TimeSpan t, FeelDateTime d) => AddToDateTime(d, t),
        ('+', FeelDateTime d, FeelYearMonthDuration y) => d with { Local = d.Local.AddMonths(y.TotalMonths) },
        ('-', FeelDateTime d, FeelYearMonthDuration y) => d with { Local = d.Local.AddMonths(-y.TotalMonths) },
        ('+', FeelYearMonthDuration y, FeelDateTime d) => d with { Local = d.Local.AddMonths(y.TotalMonths) },
        ('-', FeelDateTime a, FeelDateTime b) => a.ToInstant() - b.ToInstant(),
        ('-', FeelDateTime a, DateOnly b) => a.ToInstant() - new DateTimeOffset(b.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        ('-', DateOnly a, FeelDateTime b) => new DateTimeOffset(a.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) - b.ToInstant(),

        ('+', FeelTime t, TimeSpan d) => t with { Time = t.Time.Add(d) },
        ('-', FeelTime t, TimeSpan d) => t with { Time = t.Time.Add(d.Negate()) },
        ('+', TimeSpan d, FeelTime t) => t with { Time = t.Time.Add(d) },
        ('-', FeelTime a, FeelTime b) => a.Time.ToTimeSpan() - b.Time.ToTimeSpan() - (a.Offset ?? TimeSpan.Zero) + (b.Offset ?? TimeSpan.Zero),

        ('+', TimeSpan a, TimeSpan b) => a + b,
        ('-', TimeSpan a, TimeSpan b) => a - b,
        ('*', TimeSpan a, decimal b) => TimeSpan.FromTicks((long)(a.Ticks * b)),
        ('*', decimal a, TimeSpan b) => TimeSpan.FromTicks((long)(b.Ticks * a)),
        ('/', TimeSpan _, decimal b) when b == 0 => null,
        ('/', TimeSpan a, decimal b) => TimeSpan.FromTicks((long)(a.Ticks / b)),
        ('/', TimeSpan _, TimeSpan b) when b == TimeSpan.Zero => null,
        ('/', TimeSpan a, TimeSpan b) => (decimal)a.Ticks / b.Ticks,

        ('+', FeelYearMonthDuration a, FeelYearMonthDuration b) => new FeelYearMonthDuration(a.TotalMonths + b.TotalMonths),
        ('-', FeelYearMonthDuration a, FeelYearMonthDuration b) => new FeelYearMonthDuration(a.TotalMonths - b.TotalMonths),
        ('*', FeelYearMonthDuration a, decimal b) => new FeelYearMonthDuration((int)Math.Truncate(a.TotalMonths * b)),
        ('*', decimal a, FeelYearMonthDuration b) => new FeelYearMonthDuration((int)Math.Truncate(b.TotalMonths * a)),
        ('/', FeelYearMonthDuration _, decimal b) when b == 0 => null,
        ('/', FeelYearMonthDuration a, decimal b) => new FeelYearMonthDuration((int)Math.Truncate(a.TotalMonths / b)),
        ('/', FeelYearMonthDuration _, FeelYearMonthDuration b) when b.TotalMonths == 0 => null,
        ('/', FeelYearMonthDuration a, FeelYearMonthDuration b) => (decimal)a.TotalMonths / b.TotalMonths,
        _ => null,
    };

    private static FeelDateTime AddToDateTime(FeelDateTime d, TimeSpan t)
    {
        // Zoned values add on the instant line (DST-correct), then show the local time in their zone.
        if (d.Zone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(d.Zone, out var tz))
        {
            var instant = d.ToInstant().Add(t);
            return d with { Local = TimeZoneInfo.ConvertTime(instant, tz).DateTime };
        }

        return d with { Local = d.Local.Add(t) };
    }

    private static decimal? Power(decimal a, decimal b)
    {
        if (b == decimal.Truncate(b) && Math.Abs(b) <= 1000)
        {
            var result = 1m;
            for (var i = 0; i < (int)Math.Abs(b); i++)
            {
                result *= a;
            }

            return b < 0 ? (result == 0 ? null : 1 / result) : result;
        }

        var d = Math.Pow((double)a, (double)b);
        return double.IsFinite(d) ? (decimal)d : null;
    }

    public static object? CompareWith(FeelEvaluator ev, string op, object? left, object? right)
    {
        switch (op)
        {
            case "=":
                return FeelValue.AreEqual(left, right) ?? ev.Invalid($"can't compare {FeelValue.TypeName(left)} with {FeelValue.TypeName(right)}");
            case "!=":
                return !FeelValue.AreEqual(left, right) ?? ev.Invalid($"can't compare {FeelValue.TypeName(left)} with {FeelValue.TypeName(right)}");
        }

        var c = FeelValue.Compare(left, right);
        if (c is null)
        {
            return ev.Invalid($"can't compare {FeelValue.TypeName(left)} with {FeelValue.TypeName(right)}");
        }

        return op switch
        {
            "<" => c < 0,
            "<=" => c <= 0,
            ">" => c > 0,
            ">=" => c >= 0,
            _ => null,
        };
    }
}
