using System.Globalization;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Model;

/// <summary>When a timer fires first, and how it repeats (cycles only).</summary>
/// <param name="Due">The first due time.</param>
/// <param name="Interval">The period of a cycle; null for a one-shot timer.</param>
/// <param name="RemainingAfterFirst">Repetitions left after the first firing; -1 repeats forever.</param>
/// <param name="Cron">A cron cycle's schedule (its <paramref name="Interval"/> is null: each firing plans the next from it).</param>
internal readonly record struct TimerPlan(DateTimeOffset Due, TimeSpan? Interval, int RemainingAfterFirst, CronSchedule? Cron = null)
{
    /// <summary>How often the cycle fires: its interval, or for a cron the gap between its first two firings; null for a one-shot timer.</summary>
    public TimeSpan? Period => Interval ?? (Cron?.Next(Due) is { } second ? second - Due : null);
}

/// <summary>
/// ISO 8601 timer values: a date-time, a duration, or a repeating interval <c>R[n]/[start/]duration</c>; and,
/// for a duration, the durations modules read (<see cref="Modules.ITimerDurations"/>: service levels' business durations).
/// </summary>
internal static class TimerSchedule
{
    public static string? ValidateStatic(TimerKind kind, string text)
    {
        Plan(kind, text, DateTimeOffset.UnixEpoch, out var error, moduleDue: ModuleReads);
        return error;
    }

    // At deploy a module's duration is only recognised: where it falls due depends on the instance.
    private static DateTimeOffset? ModuleReads(object? value)
    {
        foreach (var durations in Modules.EngineModules.TimerDurations)
        {
            if (durations.Reads(value))
            {
                return DateTimeOffset.UnixEpoch;
            }
        }

        return null;
    }

    private static string? ModuleRefusal(object? value)
    {
        foreach (var durations in Modules.EngineModules.TimerDurations)
        {
            if (durations.Refuses(value) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>
    /// When a cron cycle whose timer now reads <paramref name="value"/> fires after one that fell due at <paramref name="due"/>;
    /// null when the value is no cron expression any more or it never falls due again (the cycle ends).
    /// </summary>
    /// <remarks>A cron cycle's timer row has no interval and repeats forever (remaining -1); its schedule is read again from the model.</remarks>
    public static DateTimeOffset? NextInCron(object? value, DateTimeOffset due) =>
        value is string text && CronSchedule.LooksLikeCron(text) && CronSchedule.Parse(text, out _) is { } cron ? cron.Next(due) : null;

    /// <summary>When a cycle fires after one that fell due at <paramref name="due"/>; null past the last date a timer can hold (the cycle ends).</summary>
    public static DateTimeOffset? NextInCycle(DateTimeOffset due, TimeSpan interval) =>
        DateTimeOffset.MaxValue - due > interval ? due + interval : null;

    /// <summary>
    /// Plans a timer from a static text or the value of a FEEL expression. A duration a module reads
    /// (<see cref="Modules.ITimerDurations"/>) is due where <paramref name="moduleDue"/> puts it; null from it, or no
    /// <paramref name="moduleDue"/>, leaves the value to ISO 8601.
    /// </summary>
    // A duration that would leave the calendar a date can hold (P9999Y) is an error here (After), never an exception.
    public static TimerPlan? Plan(TimerKind kind, object? value, DateTimeOffset now, out string? error, Func<object?, DateTimeOffset?>? moduleDue = null)
    {
        error = null;
        switch (kind)
        {
            case TimerKind.Date:
                var due = value switch
                {
                    FeelDateTime dt => dt.ToInstant(),
                    DateOnly d => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
                    string s when FeelBuiltins.ParseDateTime(s) is { } dt => dt.ToInstant(),
                    string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
                    _ => (DateTimeOffset?)null,
                };
                if (due is null)
                {
                    error = $"expected an ISO 8601 date-time such as 2025-01-31T09:00:00Z, got {FeelValue.ToDisplayString(value)}";
                    return null;
                }

                return new TimerPlan(due.Value, null, 0);

            case TimerKind.Duration:
                if (moduleDue?.Invoke(value) is { } moduleDueAt)
                {
                    return new TimerPlan(moduleDueAt, null, 0);
                }

                if (After(now, value, out var pastCalendar) is not { } dueAfter)
                {
                    error = pastCalendar
                        ? $"{FeelValue.ToDisplayString(value)} from {now:yyyy-MM-dd} falls due {BeyondCalendar}"
                        : ModuleRefusal(value) ?? $"expected an ISO 8601 duration such as PT1H or P2D, or a business duration such as 2 business days or 16 working hours, got {FeelValue.ToDisplayString(value)}";
                    return null;
                }

                return new TimerPlan(dueAfter, null, 0);

            default:
                return PlanCycle(value as string, now, out error);
        }
    }

    private static TimerPlan? PlanCycle(string? text, DateTimeOffset now, out string? error)
    {
        error = null;
        if (CronSchedule.LooksLikeCron(text))
        {
            return PlanCron(text!, now, out error);
        }

        var parts = text?.Split('/') ?? [];
        if (parts.Length is < 2 or > 3 || !parts[0].StartsWith('R'))
        {
            error = $"expected a repeating interval such as R3/PT1H or a cron expression such as 0 0 9 * * MON-FRI, got '{text}'";
            return null;
        }

        var count = -1;
        if (parts[0].Length > 1 && (!int.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
        {
            error = $"'{parts[0]}' is not a repetition count such as R3";
            return null;
        }

        var start = now;
        var durationText = parts[^1];
        if (parts.Length == 3)
        {
            if (FeelBuiltins.ParseDateTime(parts[1]) is not { } startAt)
            {
                error = $"'{parts[1]}' is not an ISO 8601 date-time";
                return null;
            }

            start = startAt.ToInstant();
        }

        var next = After(start, durationText, out var pastCalendar);
        if (next is null || next <= start)
        {
            error = pastCalendar ? $"'{durationText}' from {start:yyyy-MM-dd} falls due {BeyondCalendar}" : $"'{durationText}' is not a positive ISO 8601 duration";
            return null;
        }

        // With an explicit start the first firing is at the start; otherwise one interval from now.
        var interval = next.Value - start;
        if (parts.Length == 2 && now > DateTimeOffset.MaxValue - interval)
        {
            error = $"'{durationText}' from {now:yyyy-MM-dd} falls due {BeyondCalendar}";
            return null;
        }

        var first = parts.Length == 3 ? start : now + interval;
        return new TimerPlan(first, interval, count < 0 ? -1 : count - 1);
    }

    // A cron cycle repeats for as long as its scope lives (Camunda 8 gives it no repetition count).
    private static TimerPlan? PlanCron(string text, DateTimeOffset now, out string? error)
    {
        if (CronSchedule.Parse(text, out error) is not { } cron)
        {
            return null;
        }

        if (cron.Next(now) is not { } first)
        {
            error = $"the cron expression '{text.Trim()}' never falls due";
            return null;
        }

        return new TimerPlan(first, null, -1, cron);
    }

    private const string BeyondCalendar = "after 9999-12-31, the last date a timer can hold";

    /// <summary>
    /// <paramref name="from"/> plus the ISO 8601 duration <paramref name="value"/> (a text or a FEEL duration); null when it
    /// is none, or when the sum leaves the calendar a date can hold (<paramref name="pastCalendar"/>: <c>P9999Y</c>).
    /// </summary>
    private static DateTimeOffset? After(DateTimeOffset from, object? value, out bool pastCalendar)
    {
        pastCalendar = false;
        var duration = value is string text ? FeelBuiltins.ParseDuration(text) : value;
        try
        {
            return duration switch
            {
                TimeSpan t => from + t,
                FeelYearMonthDuration y => from.AddMonths(y.TotalMonths),
                _ => null,
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            pastCalendar = true;
            return null;
        }
    }
}
