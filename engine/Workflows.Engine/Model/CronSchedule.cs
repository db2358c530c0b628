using System.Globalization;

namespace Workflows.Engine.Model;

/// <summary>
/// A cron time cycle in the format Camunda 8 takes (Spring's): six fields <c>second minute hour day-of-month month
/// day-of-week</c>, or a macro (<c>@yearly</c>, <c>@annually</c>, <c>@monthly</c>, <c>@weekly</c>, <c>@daily</c>,
/// <c>@midnight</c>, <c>@hourly</c>); read in UTC.
/// </summary>
/// <remarks>
/// A field is <c>*</c>, <c>?</c> (days only), a value, a range <c>a-b</c>, a step <c>*/n</c>, <c>a/n</c> or <c>a-b/n</c>, or a
/// comma list of those; months and days of the week may be named (<c>JAN</c>…<c>DEC</c>, <c>MON</c>…<c>SUN</c>). The days of
/// the week are numbered as Spring numbers them (Camunda 8 reads them with Spring's <c>CronExpression</c>): 1 = Monday …
/// 6 = Saturday, 7 or 0 = Sunday; <c>*</c> runs from Monday to Sunday (so <c>*/2</c> is Monday, Wednesday, Friday and
/// Sunday), Sunday may end a range (<c>FRI-SUN</c>) and, as 7 or <c>SUN</c>, start one (<c>SUN-TUE</c>), and a day with a
/// step runs to Sunday (<c>SUN/2</c> is Sunday alone). The day of the month also takes <c>L</c> (the last day), <c>L-n</c>,
/// <c>nW</c> (the weekday nearest day n) and <c>LW</c>; the day of the week <c>nL</c> (the last such day of the month) and
/// <c>n#k</c> (the k-th).
/// A day must match both day fields, as in Spring. Camunda 7's Quartz form with a seventh (year) field is refused by name:
/// Quartz counts the days of the week from 1 = Sunday, Spring from 1 = Monday, so reading it silently would shift every day.
/// </remarks>
internal sealed class CronSchedule
{
    // How far ahead a next firing is looked for: 29 February on a given weekday recurs within 28 years.
    private const int SearchYears = 30;

    private static readonly string[] s_months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

    // Spring's names and numbers: MON = 1 … SUN = 7 (0 is Sunday too).
    private static readonly string[] s_days = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    private static readonly string[] s_dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    private readonly bool[] _seconds = new bool[60];
    private readonly bool[] _minutes = new bool[60];
    private readonly bool[] _hours = new bool[24];
    private readonly bool[] _months = new bool[13];
    private readonly List<Func<DateOnly, bool>> _monthDays = [];
    private readonly List<Func<DateOnly, bool>> _weekDays = [];

    private CronSchedule()
    {
    }

    /// <summary>
    /// Whether the day-of-week field names a day by its number (<c>2-6</c>, <c>5L</c>) or steps over the days (<c>*/2</c>)
    /// rather than naming them: Camunda 7's Quartz numbers the days from 1 = Sunday, Spring (and so Camunda 8, and this
    /// engine) from 1 = Monday, so such a field reads differently in a model written for Camunda 7.
    /// </summary>
    public bool NumbersDaysOfWeek { get; private set; }

    /// <summary>The days of the week the day-of-week field lets the cycle fire on, Monday first (<c>Tuesday, …, Saturday</c>).</summary>
    public IReadOnlyList<string> DaysOfWeek()
    {
        if (_weekDays.Count == 0)
        {
            return [.. s_dayNames[1..], s_dayNames[0]];
        }

        // A leap year holds every weekday's last and n-th occurrences that any month can have.
        var found = new bool[7];
        for (var day = new DateOnly(2024, 1, 1); day.Year == 2024; day = day.AddDays(1))
        {
            found[(int)day.DayOfWeek] |= _weekDays.Exists(m => m(day));
        }

        return [.. Enumerable.Range(1, 7).Select(d => d % 7).Where(d => found[d]).Select(d => s_dayNames[d])];
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
        cron.NumbersDaysOfWeek &= !text.TrimStart().StartsWith('@'); // @weekly's own 0 is no number the model wrote
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
        // A step counts from the first day of the week, which Quartz and Spring place differently too (*/2: Sunday or Monday first).
        NumbersDaysOfWeek = field.Contains('/', StringComparison.Ordinal) || field.Split(',').Any(item => item.Split('#')[0].Any(char.IsAsciiDigit));
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
                    return $"the day-of-week '{item}' is not nL with n a day of the week (0-7 or MON-SUN)";
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
            else if (FillWeekDays(plain, item) is { } problem)
            {
                return problem;
            }
        }

        if (Array.IndexOf(plain, true) >= 0)
        {
            plain[0] |= plain[7]; // Sunday, as .NET numbers it
            _weekDays.Add(d => plain[(int)d.DayOfWeek]);
        }

        return null;
    }

    // One item of the day-of-week field as Spring reads it (1 = Monday … 7 = Sunday, 0 Sunday too): * runs from 1 to 7,
    // Sunday as 7 starting a range means 0, and a single day with a step runs to 7. Read any other way, an expression that
    // deploys on Camunda 8 would fire on other days here.
    private static string? FillWeekDays(bool[] allowed, string item)
    {
        var slash = item.Split('/');
        if (slash.Length > 2)
        {
            return $"the day-of-week '{item}' has more than one step";
        }

        var step = 1;
        if (slash.Length == 2)
        {
            if (Number(slash[1], 1, 7) is not { } parsedStep)
            {
                return $"the day-of-week step '{slash[1]}' is not a number from 1 to 7";
            }

            step = parsedStep;
        }

        int from, to;
        var range = slash[0];
        if (range is "*" or "?")
        {
            (from, to) = (1, 7);
        }
        else if (range.Split('-') is { Length: 2 } bounds)
        {
            if (Value(bounds[0], 1, 7, s_days, zero: true) is not { } a || Value(bounds[1], 1, 7, s_days, zero: true) is not { } b || (a == 7 ? 0 : a) > b)
            {
                return $"the day-of-week range '{range}' is not two days from 0 to 7 or MON to SUN, the first not after the second (Sunday, as 0, 7 or SUN, may start a range)";
            }

            (from, to) = (a == 7 ? 0 : a, b);
        }
        else if (Value(range, 1, 7, s_days, zero: true) is { } single)
        {
            (from, to) = (single, slash.Length == 2 ? 7 : single);
        }
        else
        {
            return $"the day-of-week '{item}' is not a value from 0 to 7 (1 = Monday, 0 and 7 = Sunday) or MON-SUN";
        }

        for (var v = from; v <= to; v += step)
        {
            allowed[v] = true;
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

    private static int? Value(string text, int min, int max, string[]? names, bool zero = false)
    {
        if (names is not null && Array.IndexOf(names, text) is >= 0 and var index)
        {
            return index + min;
        }

        return Number(text, zero ? 0 : min, max);
    }

    // A day of the week as .NET numbers it (Sunday 0): Spring's 7 and 0 are both Sunday.
    private static int? DayOfWeekValue(string text) => Value(text, 1, 7, s_days, zero: true) is { } d ? d % 7 : null;

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
