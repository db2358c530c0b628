using System.Globalization;

namespace Workflows.Engine.Model;

/// <summary>
/// A cron time cycle in the format Camunda 8 takes (Spring's): six fields <c>second minute hour day-of-month month
/// day-of-week</c>, or a macro (<c>@yearly</c>, <c>@annually</c>, <c>@monthly</c>, <c>@weekly</c>, <c>@daily</c>,
/// <c>@midnight</c>, <c>@hourly</c>); read in UTC.
/// </summary>
/// <remarks>
/// A field is <c>*</c>, <c>?</c> (days only), a value, a range <c>a-b</c>, a step <c>*/n</c>, <c>a/n</c> or <c>a-b/n</c>, or a
/// comma list of those; months and days of the week may be named (<c>JAN</c>…<c>DEC</c>, <c>SUN</c>…<c>SAT</c>), and day 0
/// and 7 are both Sunday. The day of the month also takes <c>L</c> (the last day), <c>L-n</c>, <c>nW</c> (the weekday
/// nearest day n) and <c>LW</c>; the day of the week <c>nL</c> (the last such day of the month) and <c>n#k</c> (the k-th).
/// A day must match both day fields, as in Spring. Camunda 7's Quartz form with a seventh (year) field is refused by name:
/// Quartz counts the days of the week from 1 = Sunday, Spring from 1 = Monday, so reading it silently would shift every day.
/// </remarks>
internal sealed class CronSchedule
{
    // How far ahead a next firing is looked for: 29 February on a given weekday recurs within 28 years.
    private const int SearchYears = 30;

    private static readonly string[] s_months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] s_days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly bool[] _seconds = new bool[60];
    private readonly bool[] _minutes = new bool[60];
    private readonly bool[] _hours = new bool[24];
    private readonly bool[] _months = new bool[13];
    private readonly List<Func<DateOnly, bool>> _monthDays = [];
    private readonly List<Func<DateOnly, bool>> _weekDays = [];

    private CronSchedule()
    {
    }

    /// <summary>Whether <paramref name="text"/> is meant as a cron expression rather than an ISO 8601 repeating interval.</summary>
    public static bool LooksLikeCron(string? text) =>
        text is not null && (text.TrimStart().StartsWith('@') || text.Trim().Contains(' ', StringComparison.Ordinal));

    /// <summary>Reads <paramref name="text"/>; null with <paramref name="error"/> naming the field that is wrong.</summary>
    public static CronSchedule? Parse(string text, out string? error)
    {
        error = null;
        var expanded = text.Trim().ToUpperInvariant() switch
        {
            "@YEARLY" or "@ANNUALLY" => "0 0 0 1 1 *",
            "@MONTHLY" => "0 0 0 1 * *",
            "@WEEKLY" => "0 0 0 * * 0",
            "@DAILY" or "@MIDNIGHT" => "0 0 0 * * *",
            "@HOURLY" => "0 0 * * * *",
            var other when other.StartsWith('@') => null,
            var other => other,
        };
        if (expanded is null)
        {
            error = $"'{text.Trim()}' is none of the macros @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly";
            return null;
        }

        var fields = expanded.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            error = fields.Length == 7
                ? "a cron expression has six fields (second minute hour day-of-month month day-of-week, as in Camunda 8); a seventh, Quartz's year, is not read"
                : $"a cron expression has six fields (second minute hour day-of-month month day-of-week), this one has {fields.Length}";
            return null;
        }

        var cron = new CronSchedule();
        error = Fill(cron._seconds, fields[0], 0, 59, "second", null)
            ?? Fill(cron._minutes, fields[1], 0, 59, "minute", null)
            ?? Fill(cron._hours, fields[2], 0, 23, "hour", null)
            ?? Fill(cron._months, fields[4], 1, 12, "month", s_months)
            ?? cron.ReadMonthDays(fields[3])
            ?? cron.ReadWeekDays(fields[5]);
        return error is null ? cron : null;
    }

    /// <summary>The first firing strictly after <paramref name="after"/>; null when none falls within the next 30 years or before 9999.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        var from = after.UtcDateTime;
        if (from >= DateTime.MaxValue.AddSeconds(-1))
        {
            return null;
        }

        var start = new DateTime(from.Ticks - (from.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc).AddSeconds(1);
        var day = DateOnly.FromDateTime(start);
        var last = day.Year + SearchYears >= 9999 ? new DateOnly(9999, 12, 31) : day.AddYears(SearchYears);
        var firstSecond = (int)start.TimeOfDay.TotalSeconds;
        for (; day <= last; day = day.AddDays(1), firstSecond = 0)
        {
            if (MatchesDay(day) && FirstTime(firstSecond) is { } second)
            {
                return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddSeconds(second);
            }

            if (day == DateOnly.MaxValue)
            {
                break;
            }
        }

        return null;
    }

    private bool MatchesDay(DateOnly day) =>
        _months[day.Month]
        && (_monthDays.Count == 0 || _monthDays.Exists(m => m(day)))
        && (_weekDays.Count == 0 || _weekDays.Exists(m => m(day)));

    // The first second of the day at or after fromSecond that the time fields allow.
    private int? FirstTime(int fromSecond)
    {
        for (var h = fromSecond / 3600; h < 24; h++)
        {
            if (!_hours[h])
            {
                continue;
            }

            var sameHour = h == fromSecond / 3600;
            for (var m = sameHour ? fromSecond / 60 % 60 : 0; m < 60; m++)
            {
                if (!_minutes[m])
                {
                    continue;
                }

                for (var s = sameHour && m == fromSecond / 60 % 60 ? fromSecond % 60 : 0; s < 60; s++)
                {
                    if (_seconds[s])
                    {
                        return (h * 3600) + (m * 60) + s;
                    }
                }
            }
        }

        return null;
    }

    private string? ReadMonthDays(string field)
    {
        if (field is "*" or "?")
        {
            return null;
        }

        var plain = new bool[32];
        foreach (var item in field.Split(','))
        {
            if (item == "L" || item.StartsWith("L-", StringComparison.Ordinal))
            {
                var offset = item.Length == 1 ? 0 : Number(item[2..], 0, 30);
                if (offset is null)
                {
                    return $"the day-of-month '{item}' is not L or L-n with n from 0 to 30";
                }

                _monthDays.Add(d => d.Day == LastDay(d) - offset.Value);
            }
            else if (item == "LW")
            {
                _monthDays.Add(d => d.Day == NearestWeekday(d, LastDay(d)));
            }
            else if (item.EndsWith('W'))
            {
                if (Number(item[..^1], 1, 31) is not { } target)
                {
                    return $"the day-of-month '{item}' is not nW with n from 1 to 31";
                }

                _monthDays.Add(d => d.Day == NearestWeekday(d, Math.Min(target, LastDay(d))));
            }
            else if (Fill(plain, item, 1, 31, "day-of-month", null) is { } problem)
            {
                return problem;
            }
        }

        if (Array.IndexOf(plain, true) >= 0)
        {
            _monthDays.Add(d => plain[d.Day]);
        }

        return null;
    }

    private string? ReadWeekDays(string field)
    {
        if (field is "*" or "?")
        {
            return null;
        }

        var plain = new bool[8];
        foreach (var item in field.Split(','))
        {
            if (item.Length > 1 && item.EndsWith('L'))
            {
                if (DayOfWeekValue(item[..^1]) is not { } weekday)
                {
                    return $"the day-of-week '{item}' is not nL with n a day of the week (0-7 or SUN-SAT)";
                }

                _weekDays.Add(d => (int)d.DayOfWeek == weekday && d.Day + 7 > LastDay(d));
            }
            else if (item.Contains('#', StringComparison.Ordinal))
            {
                var parts = item.Split('#');
                if (parts.Length != 2 || DayOfWeekValue(parts[0]) is not { } weekday || Number(parts[1], 1, 5) is not { } nth)
                {
                    return $"the day-of-week '{item}' is not n#k with n a day of the week and k from 1 to 5";
                }

                _weekDays.Add(d => (int)d.DayOfWeek == weekday && ((d.Day - 1) / 7) + 1 == nth);
            }
            else if (Fill(plain, item, 0, 7, "day-of-week", s_days) is { } problem)
            {
                return problem;
            }
        }

        if (Array.IndexOf(plain, true) >= 0)
        {
            plain[0] |= plain[7];
            _weekDays.Add(d => plain[(int)d.DayOfWeek]);
        }

        return null;
    }

    // A comma list of *, values, ranges and steps into the allowed values of a field.
    private static string? Fill(bool[] allowed, string field, int min, int max, string what, string[]? names)
    {
        foreach (var item in field.Split(','))
        {
            var slash = item.Split('/');
            if (slash.Length > 2)
            {
                return $"the {what} '{item}' has more than one step";
            }

            var step = 1;
            if (slash.Length == 2)
            {
                if (Number(slash[1], 1, max) is not { } parsedStep)
                {
                    return $"the {what} step '{slash[1]}' is not a number from 1 to {max}";
                }

                step = parsedStep;
            }

            int from, to;
            var range = slash[0];
            if (range is "*" or "?" && (range == "*" || what.StartsWith("day", StringComparison.Ordinal)))
            {
                (from, to) = (min, max);
            }
            else if (range.Split('-') is { Length: 2 } bounds)
            {
                if (Value(bounds[0], min, max, names) is not { } a || Value(bounds[1], min, max, names) is not { } b || a > b)
                {
                    return $"the {what} range '{range}' is not two values from {min} to {max}, the first not after the second";
                }

                (from, to) = (a, b);
            }
            else if (Value(range, min, max, names) is { } single)
            {
                (from, to) = (single, slash.Length == 2 ? max : single);
            }
            else
            {
                return $"the {what} '{item}' is not a value from {min} to {max}{(names is null ? "" : $" or {names[0]}-{names[^1]}")}";
            }

            for (var v = from; v <= to; v += step)
            {
                allowed[v] = true;
            }
        }

        return null;
    }

    private static int? Value(string text, int min, int max, string[]? names)
    {
        if (names is not null && Array.IndexOf(names, text) is >= 0 and var index)
        {
            return index + min;
        }

        return Number(text, min, max);
    }

    private static int? DayOfWeekValue(string text) => Value(text, 0, 7, s_days) is { } d ? d % 7 : null;

    private static int? Number(string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n : null;

    private static int LastDay(DateOnly d) => DateTime.DaysInMonth(d.Year, d.Month);

    // The weekday nearest to the given day of d's month, never leaving the month (Quartz's and Spring's W).
    private static int NearestWeekday(DateOnly d, int day)
    {
        var target = new DateOnly(d.Year, d.Month, day);
        return target.DayOfWeek switch
        {
            DayOfWeek.Saturday => day == 1 ? 3 : day - 1,
            DayOfWeek.Sunday => day == LastDay(d) ? day - 2 : day + 1,
            _ => day,
        };
    }
}
