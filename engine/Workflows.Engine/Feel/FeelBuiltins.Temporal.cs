using System.Globalization;
using System.Text.RegularExpressions;

namespace Workflows.Engine.Feel;

/// <summary>The date, time and duration built-ins, the temporal literal forms, and <c>cycle</c> for timer cycles.</summary>
internal static partial class FeelBuiltins
{
    private static DateOnly? DatePart(IReadOnlyList<object?> a) => a.Count == 1 ? a[0] switch
    {
        DateOnly d => d,
        FeelDateTime dt => DateOnly.FromDateTime(dt.Local),
        _ => null,
    } : null;

    private static object? Date(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        if (a.Count == 3)
        {
            if (Num(a, 0) is not { } y || Num(a, 1) is not { } m || Num(a, 2) is not { } d)
            {
                return null;
            }

            try
            {
                return new DateOnly((int)y, (int)m, (int)d);
            }
            catch (ArgumentOutOfRangeException)
            {
                return ev.Invalid($"date({y}, {m}, {d}) is not a valid date");
            }
        }

        return a.Count == 1 ? a[0] switch
        {
            string s => ParseDate(s) ?? ev.Invalid($"'{s}' is not a valid date"),
            DateOnly d => d,
            FeelDateTime dt => DateOnly.FromDateTime(dt.Local),
            _ => null,
        } : null;
    }

    private static object? Time(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        if (a.Count >= 3)
        {
            if (Num(a, 0) is not { } h || Num(a, 1) is not { } m || Num(a, 2) is not { } s)
            {
                return null;
            }

            TimeSpan? offset = a.Count > 3 && a[3] is TimeSpan o ? o : null;
            try
            {
                return new FeelTime(new TimeOnly((int)h, (int)m, (int)s).Add(TimeSpan.FromTicks((long)((s - decimal.Truncate(s)) * TimeSpan.TicksPerSecond))), offset);
            }
            catch (ArgumentOutOfRangeException)
            {
                return ev.Invalid("not a valid time");
            }
        }

        return a.Count == 1 ? a[0] switch
        {
            string s => ParseTime(s) ?? ev.Invalid($"'{s}' is not a valid time"),
            FeelTime t => t,
            FeelDateTime dt => new FeelTime(TimeOnly.FromDateTime(dt.Local), dt.Offset) { Zone = dt.Zone },
            DateOnly => new FeelTime(TimeOnly.MinValue, TimeSpan.Zero),
            _ => null,
        } : null;
    }

    private static object? DateAndTime(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        if (a.Count == 2)
        {
            var date = a[0] switch
            {
                DateOnly d => (DateOnly?)d,
                FeelDateTime dt => DateOnly.FromDateTime(dt.Local),
                _ => null,
            };
            return date is { } dd && a[1] is FeelTime t ? new FeelDateTime(dd.ToDateTime(t.Time), t.Zone is null ? t.Offset : null, t.Zone) : null;
        }

        return a.Count == 1 ? a[0] switch
        {
            string s => ParseDateTime(s) ?? (ParseDate(s) is { } d ? new FeelDateTime(d.ToDateTime(TimeOnly.MinValue), null, null) : ev.Invalid($"'{s}' is not a valid date and time")),
            FeelDateTime dt => dt,
            DateOnly d => new FeelDateTime(d.ToDateTime(TimeOnly.MinValue), null, null),
            _ => null,
        } : null;
    }

    private static object? YearsAndMonths(IReadOnlyList<object?> a)
    {
        static DateTime? Local(object? v) => v switch
        {
            DateOnly d => d.ToDateTime(TimeOnly.MinValue),
            FeelDateTime dt => dt.Local,
            _ => null,
        };

        if (a.Count != 2 || Local(a[0]) is not { } from || Local(a[1]) is not { } to)
        {
            return null;
        }

        var months = ((to.Year - from.Year) * 12) + (to.Month - from.Month);
        if (months > 0 && to.AddMonths(-months) < from)
        {
            months--;
        }
        else if (months < 0 && to.AddMonths(-months) > from)
        {
            months++;
        }

        return new FeelYearMonthDuration(months);
    }

    /// <summary>Reads a FEEL temporal literal: a date, time, date-time or duration.</summary>
    public static object? ParseTemporal(string text)
    {
        if (text.StartsWith('P') || text.StartsWith("-P", StringComparison.Ordinal))
        {
            return ParseDuration(text);
        }

        // A zone name may hold a 'T' (America/Toronto), so the forms are tried in turn, longest first.
        return (object?)ParseDateTime(text) ?? (object?)ParseDate(text) ?? ParseTime(text);
    }

    internal static DateOnly? ParseDate(string text) =>
        DateRegex().IsMatch(text) && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    /// <summary>Reads a time: <c>10:30:00</c>, with a fraction, <c>Z</c>, an offset or <c>@zone</c>; a leading <c>T</c> is allowed.</summary>
    internal static FeelTime? ParseTime(string text)
    {
        var match = TimeRegex().Match(text.StartsWith('T') ? text[1..] : text);
        if (!match.Success || !TryTimeOfDay(match.Groups["t"].Value, out var time))
        {
            return null;
        }

        return ParseOffset(match.Groups["o"].Value, out var offset, out var zone) ? new FeelTime(time, offset) { Zone = zone } : null;
    }

    internal static FeelDateTime? ParseDateTime(string text)
    {
        var t = text.IndexOf('T', StringComparison.Ordinal);
        if (t < 0 || ParseDate(text[..t]) is not { } date)
        {
            return null;
        }

        var match = TimeRegex().Match(text[(t + 1)..]);
        if (!match.Success || !TryTimeOfDay(match.Groups["t"].Value, out var time))
        {
            return null;
        }

        return ParseOffset(match.Groups["o"].Value, out var offset, out var zone) ? new FeelDateTime(date.ToDateTime(time), offset, zone) : null;
    }

    // Times are kept to the millisecond, as they are written (FeelValue.FormatTime): ISO 8601 allows 9 fractional
    // digits, and two times that differ below a millisecond are equal, as the DMN TCK expects.
    private static bool TryTimeOfDay(string text, out TimeOnly time)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0 && text.Length - dot - 1 > 3)
        {
            text = text[..(dot + 4)];
        }

        return TimeOnly.TryParse(text, CultureInfo.InvariantCulture, out time);
    }

    private static bool ParseOffset(string text, out TimeSpan? offset, out string? zone)
    {
        offset = null;
        zone = null;
        if (text.Length == 0)
        {
            return true;
        }

        if (text == "Z")
        {
            offset = TimeSpan.Zero;
            return true;
        }

        if (text[0] == '@')
        {
            zone = text[1..];
            return TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _);
        }

        var sign = text[0] == '-' ? -1 : 1;
        if (!TimeSpan.TryParseExact(text[1..], @"hh\:mm", CultureInfo.InvariantCulture, out var o) || o > TimeSpan.FromHours(18))
        {
            return false;
        }

        offset = sign * o;
        return true;
    }

    private static object? Cycle(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        var (repetitions, interval) = a.Count switch
        {
            1 => ((object?)null, a[0]),
            2 => (a[0], a[1]),
            _ => (null, null),
        };
        if (interval is not (TimeSpan or FeelYearMonthDuration))
        {
            return ev.Invalid("cycle() needs a duration, as in cycle(duration(\"PT1H\")) or cycle(3, duration(\"PT1H\"))");
        }

        if (repetitions is not null and not decimal)
        {
            return ev.Invalid($"the repetitions of cycle() must be a number, got {FeelValue.TypeName(repetitions)}");
        }

        if (repetitions is decimal n && (n != decimal.Truncate(n) || n < 1 || n > int.MaxValue))
        {
            return ev.Invalid($"the repetitions of cycle() must be a whole number of at least 1, got {FeelValue.FormatNumber(n)}");
        }

        return "R" + (repetitions is decimal r ? FeelValue.FormatNumber(r) : "") + "/" + FeelValue.ToFeelString(interval);
    }

    /// <summary>Reads an ISO 8601 duration: days-and-time (<c>P1DT2H</c>) or years-and-months (<c>P1Y2M</c>).</summary>
    /// <remarks>A sign may lead the whole (<c>-PT5M</c>) or each component (<c>PT-3M-4S</c>), as Camunda 8 reads them.</remarks>
    public static object? ParseDuration(string text)
    {
        var m = DurationRegex().Match(text);
        if (!m.Success || text.EndsWith('T') || text is "P" or "-P")
        {
            return null;
        }

        var negative = m.Groups["neg"].Success;
        bool Has(string g) => m.Groups[g].Success;
        long Int(string g) => Has(g) && long.TryParse(m.Groups[g].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : 0;
        var yearMonth = Has("y") || Has("mo");
        var dayTime = Has("w") || Has("d") || Has("h") || Has("mi") || Has("s");
        if (yearMonth && dayTime)
        {
            return null;
        }

        try
        {
            if (yearMonth)
            {
                var months = checked((int)((Int("y") * 12) + Int("mo")));
                return new FeelYearMonthDuration(negative ? -months : months);
            }

            var seconds = Has("s") ? decimal.Parse(m.Groups["s"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) : 0m;
            var span = TimeSpan.FromDays(checked((Int("w") * 7) + Int("d"))) + TimeSpan.FromHours(Int("h")) + TimeSpan.FromMinutes(Int("mi"))
                + TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond));
            return negative ? span.Negate() : span;
        }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            return null; // beyond what a duration can hold (about 29,000 years)
        }
    }

    /// <summary>Properties of temporal values: <c>date.year</c>, <c>duration.hours</c>…</summary>
    public static object? TemporalProperty(object value, string name) => (value, name) switch
    {
        (DateOnly d, "year") => (decimal)d.Year,
        (DateOnly d, "month") => (decimal)d.Month,
        (DateOnly d, "day") => (decimal)d.Day,
        (DateOnly d, "weekday") => (decimal)(((int)d.DayOfWeek + 6) % 7) + 1,
        (FeelDateTime d, "year") => (decimal)d.Local.Year,
        (FeelDateTime d, "month") => (decimal)d.Local.Month,
        (FeelDateTime d, "day") => (decimal)d.Local.Day,
        (FeelDateTime d, "weekday") => (decimal)(((int)d.Local.DayOfWeek + 6) % 7) + 1,
        (FeelDateTime d, "hour") => (decimal)d.Local.Hour,
        (FeelDateTime d, "minute") => (decimal)d.Local.Minute,
        (FeelDateTime d, "second") => (decimal)d.Local.Second,
        (FeelDateTime d, "time offset") => d.Offset,
        (FeelDateTime d, "timezone") => d.Zone,
        (FeelTime t, "hour") => (decimal)t.Time.Hour,
        (FeelTime t, "minute") => (decimal)t.Time.Minute,
        (FeelTime t, "second") => (decimal)t.Time.Second,
        (FeelTime t, "time offset") => t.Offset,
        (TimeSpan t, "days") => (decimal)t.Days,
        (TimeSpan t, "hours") => (decimal)t.Hours,
        (TimeSpan t, "minutes") => (decimal)t.Minutes,
        (TimeSpan t, "seconds") => (decimal)t.Seconds,
        (FeelYearMonthDuration y, "years") => (decimal)(y.TotalMonths / 12),
        (FeelYearMonthDuration y, "months") => (decimal)(y.TotalMonths % 12),
        (FeelRange r, "start") => r.Start,
        (FeelRange r, "end") => r.End,
        (FeelRange r, "start included") => r.StartIncluded,
        (FeelRange r, "end included") => r.EndIncluded,
        _ => null,
    };

    [GeneratedRegex(@"^-?\d{4,9}-\d{2}-\d{2}$")]
    private static partial Regex DateRegex();

    [GeneratedRegex(@"^(?<t>\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)(?<o>Z|[+-]\d{2}:\d{2}|@[A-Za-z_/+-]+)?$")]
    private static partial Regex TimeRegex();

    [GeneratedRegex(@"^(?<neg>-)?P(?:(?<y>-?\d{1,18})Y)?(?:(?<mo>-?\d{1,18})M)?(?:(?<w>-?\d{1,18})W)?(?:(?<d>-?\d{1,18})D)?(?:T(?:(?<h>-?\d{1,18})H)?(?:(?<mi>-?\d{1,18})M)?(?:(?<s>-?\d{1,18}(?:\.\d{0,9})?)S)?)?$")]
    private static partial Regex DurationRegex();
}
