using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Workflows.Engine.Feel;

/// <summary>The built-in functions of the documented FEEL subset (docs/feel.md).</summary>
internal static partial class FeelBuiltins
{
    private static readonly Dictionary<string, FeelFunction> s_functions = Build();

    public static bool TryGet(string name, out FeelFunction function) => s_functions.TryGetValue(name, out function!);

    private static Dictionary<string, FeelFunction> Build()
    {
        var f = new Dictionary<string, FeelFunction>(StringComparer.Ordinal);
        // The aggregates and list builders take their items as a list or one by one.
        string[] variadic = ["min", "max", "sum", "product", "mean", "median", "stddev", "mode", "all", "and", "any", "or", "append", "concatenate", "union", "count"];
        // Built-ins with several forms: the names of each form's parameters, for named arguments.
        var overloads = new Dictionary<string, string[][]>(StringComparer.Ordinal)
        {
            ["date"] = [["year", "month", "day"]],
            ["time"] = [["hour", "minute", "second", "offset"]],
            ["date and time"] = [["date", "time"]],
            ["years and months duration"] = [["from", "to"]],
            ["before"] = [["point", "range"], ["range", "point"], ["range1", "range2"]],
            ["after"] = [["point", "range"], ["range", "point"], ["range1", "range2"]],
            ["finishes"] = [["range1", "range2"]],
            ["finished by"] = [["range1", "range2"]],
            ["includes"] = [["range1", "range2"]],
            ["during"] = [["range1", "range2"]],
            ["starts"] = [["range1", "range2"]],
            ["started by"] = [["range1", "range2"]],
            ["coincides"] = [["range1", "range2"]],
            ["context put"] = [["context", "keys", "value"]],
        };
        void Def(string name, string[] parameters, Func<FeelEvaluator, IReadOnlyList<object?>, object?> body) =>
            f[name] = new FeelFunction(name, parameters, body)
            {
                IsBuiltIn = true,
                IsVariadic = variadic.Contains(name),
                Overloads = overloads.TryGetValue(name, out var forms) ? [parameters, .. forms] : null,
            };
        DefineRangeFunctions(Def);

        // Conversion
        Def("string", ["from"], (ev, a) => a.Count == 1 ? ToFeelString(ev, a[0]) : ev.Invalid("string() takes one argument"));
        Def("number", ["from", "grouping separator", "decimal separator"], (ev, a) => ToNumber(ev, a));
        Def("not", ["negand"], (ev, a) => a.Count == 1 && a[0] is bool b ? !b : null);
        Def("is defined", ["value"], (ev, a) => a.Count == 1 && a[0] is not null);
        Def("is", ["value1", "value2"], (ev, a) => a.Count is 1 or 2 ? Is(a[0], a.Count == 2 ? a[1] : null) : null);

        // Strings
        Def("string length", ["string"], (ev, a) => Str(a, 0) is { } s ? (decimal)new StringInfo(s).LengthInTextElements : null);
        Def("upper case", ["string"], (ev, a) => Str(a, 0)?.ToUpperInvariant());
        Def("lower case", ["string"], (ev, a) => Str(a, 0)?.ToLowerInvariant());
        Def("substring", ["string", "start position", "length"], (ev, a) => Substring(a));
        Def("substring before", ["string", "match"], (ev, a) => Str(a, 0) is { } s && Str(a, 1) is { } m
            ? (s.IndexOf(m, StringComparison.Ordinal) is var i and >= 0 ? s[..i] : "") : null);
        Def("substring after", ["string", "match"], (ev, a) => Str(a, 0) is { } s && Str(a, 1) is { } m
            ? (m.Length == 0 ? s : s.IndexOf(m, StringComparison.Ordinal) is var i and >= 0 ? s[(i + m.Length)..] : "") : null);
        Def("contains", ["string", "match"], (ev, a) => Str(a, 0) is { } s && Str(a, 1) is { } m ? s.Contains(m, StringComparison.Ordinal) : null);
        Def("starts with", ["string", "match"], (ev, a) => Str(a, 0) is { } s && Str(a, 1) is { } m ? s.StartsWith(m, StringComparison.Ordinal) : null);
        Def("ends with", ["string", "match"], (ev, a) => Str(a, 0) is { } s && Str(a, 1) is { } m ? s.EndsWith(m, StringComparison.Ordinal) : null);
        Def("matches", ["input", "pattern", "flags"], (ev, a) => Str(a, 0) is { } s && MakeRegex(ev, a, 1) is { } r ? r.IsMatch(s) : null);
        Def("replace", ["input", "pattern", "replacement", "flags"], (ev, a) => Str(a, 0) is { } s && Str(a, 2) is { } rep && MakeRegex(ev, a, 1, 3) is { } r
            ? Replace(ev, r, s, rep) : null);
        Def("split", ["string", "delimiter"], (ev, a) => Str(a, 0) is { } s && MakeRegex(ev, a, 1) is { } r
            ? r.Split(s).Select(x => (object?)x).ToList() : null);
        Def("string join", ["list", "delimiter", "prefix", "suffix"], (ev, a) => StringJoin(ev, a));
        Def("trim", ["string"], (ev, a) => Str(a, 0)?.Trim());
        Def("string reverse", ["string"], (ev, a) => Str(a, 0) is { } s ? new string(s.Reverse().ToArray()) : null);

        // Numbers
        Def("decimal", ["n", "scale"], (ev, a) => Round(ev, a, MidpointRounding.ToEven, scaleRequired: true));
        Def("floor", ["n", "scale"], (ev, a) => Round(ev, a, MidpointRounding.ToNegativeInfinity));
        Def("ceiling", ["n", "scale"], (ev, a) => Round(ev, a, MidpointRounding.ToPositiveInfinity));
        Def("round up", ["n", "scale"], (ev, a) => Round(ev, a, null));
        Def("round down", ["n", "scale"], (ev, a) => Round(ev, a, MidpointRounding.ToZero));
        Def("round half up", ["n", "scale"], (ev, a) => Round(ev, a, MidpointRounding.AwayFromZero));
        Def("round half down", ["n", "scale"], (ev, a) => Round(ev, a, (MidpointRounding)(-1)));
        Def("abs", ["n"], (ev, a) => a.Count == 1 ? a[0] switch
        {
            decimal n => Math.Abs(n),
            TimeSpan t => t.Duration(),
            FeelYearMonthDuration y => new FeelYearMonthDuration(Math.Abs(y.TotalMonths)),
            _ => null,
        } : null);
        Def("modulo", ["dividend", "divisor"], (ev, a) => Num(a, 0) is { } x && Num(a, 1) is { } y && y != 0 ? x - (y * Math.Floor(x / y)) : null);
        Def("sqrt", ["number"], (ev, a) => Num(a, 0) is { } n && n >= 0 ? SquareRoot(n) : null);
        Def("log", ["number"], (ev, a) => Num(a, 0) is { } n && n > 0 ? (decimal)Math.Log((double)n) : null);
        Def("exp", ["number"], (ev, a) => Num(a, 0) is { } n ? (decimal)Math.Exp((double)n) : null);
        Def("odd", ["number"], (ev, a) => Num(a, 0) is { } n ? n == decimal.Truncate(n) && n % 2 != 0 : null);
        Def("even", ["number"], (ev, a) => Num(a, 0) is { } n ? n == decimal.Truncate(n) && n % 2 == 0 : null);

        // Lists
        Def("list contains", ["list", "element"], (ev, a) => a.Count == 2 && a[0] is List<object?> l ? l.Any(x => FeelValue.AreEqual(x, a[1]) == true) : null);
        Def("count", ["list"], (ev, a) => List(a) is { } l ? (decimal)l.Count : null);
        Def("min", ["list"], (ev, a) => Extreme(List(a), -1));
        Def("max", ["list"], (ev, a) => Extreme(List(a), 1));
        Def("sum", ["list"], (ev, a) => List(a) is { } l && l.All(x => x is decimal) ? (l.Count == 0 ? null : l.Sum(x => (decimal)x!)) : null);
        Def("product", ["list"], (ev, a) => List(a) is { Count: > 0 } l && l.All(x => x is decimal) ? l.Aggregate(1m, (p, x) => p * (decimal)x!) : null);
        Def("mean", ["list"], (ev, a) => List(a) is { Count: > 0 } l && l.All(x => x is decimal) ? l.Sum(x => (decimal)x!) / l.Count : null);
        Def("median", ["list"], (ev, a) => Median(List(a)));
        Def("mode", ["list"], (ev, a) => Mode(ev, List(a)));
        Def("stddev", ["list"], (ev, a) => StandardDeviation(List(a)));
        Def("all", ["list"], (ev, a) => All(List(a)));
        Def("and", ["list"], (ev, a) => All(List(a)));
        Def("any", ["list"], (ev, a) => Any(List(a)));
        Def("or", ["list"], (ev, a) => Any(List(a)));
        Def("sublist", ["list", "start position", "length"], (ev, a) => Sublist(a));
        Def("append", ["list", "item"], (ev, a) => a.Count >= 1 && a[0] is List<object?> l ? new List<object?>([.. l, .. a.Skip(1)]) : null);
        Def("concatenate", ["list"], (ev, a) => a.All(x => x is List<object?>) ? Concatenate(ev, a) : null);
        Def("insert before", ["list", "position", "newItem"], (ev, a) => InsertBefore(a));
        Def("remove", ["list", "position"], (ev, a) => Remove(a));
        Def("reverse", ["list"], (ev, a) => a.Count == 1 && a[0] is List<object?> l ? Enumerable.Reverse(l).ToList() : null);
        Def("index of", ["list", "match"], (ev, a) => a.Count == 2 && a[0] is List<object?> l
            ? l.Select((x, i) => (x, i)).Where(p => FeelValue.AreEqual(p.x, a[1]) == true).Select(p => (object?)(decimal)(p.i + 1)).ToList() : null);
        Def("union", ["list"], (ev, a) => a.All(x => x is List<object?>) ? Distinct(ev, a.SelectMany(x => (List<object?>)x!)) : null);
        Def("distinct values", ["list"], (ev, a) => a.Count == 1 && a[0] is List<object?> l ? Distinct(ev, l) : null);
        Def("duplicate values", ["list"], (ev, a) => a.Count == 1 && a[0] is List<object?> l ? Duplicates(ev, l) : null);
        Def("flatten", ["list"], (ev, a) => a.Count == 1 && a[0] is List<object?> l ? Flatten(l) : null);
        Def("sort", ["list", "precedes"], (ev, a) => Sort(ev, a));
        Def("is empty", ["list"], (ev, a) => a.Count == 1 && a[0] is List<object?> l ? l.Count == 0 : null);

        // Contexts
        Def("get value", ["m", "key"], (ev, a) => a.Count == 2 && a[0] is FeelContext c && a[1] is string k ? c[k] : null);
        Def("get entries", ["m"], (ev, a) => a.Count == 1 && a[0] is FeelContext c
            ? c.Select(e => (object?)new FeelContext { ["key"] = e.Key, ["value"] = e.Value }).ToList() : null);
        Def("context put", ["context", "key", "value"], (ev, a) => a.Count == 3 && a[0] is FeelContext c ? a[1] switch
        {
            string k => Put(c, k, a[2]),
            List<object?> { Count: > 0 } keys when keys.All(k => k is string) => PutPath(c, keys, 0, a[2]),
            _ => null,
        } : null);
        Def("context merge", ["contexts"], (ev, a) => a.Count == 1 && a[0] is List<object?> l && l.All(x => x is FeelContext) ? Merge(l) : null);

        // Temporal
        Def("date", ["from", "month", "day"], (ev, a) => Date(ev, a));
        Def("time", ["from", "minute", "second", "offset"], (ev, a) => Time(ev, a));
        Def("date and time", ["from", "time"], (ev, a) => DateAndTime(ev, a));
        Def("duration", ["from"], (ev, a) => Str(a, 0) is { } s ? ParseDuration(s) ?? ev.Invalid($"'{s}' is not a valid duration") : null);
        Def("years and months duration", ["from", "to"], (ev, a) => YearsAndMonths(a));
        Def("now", [], (ev, a) => FeelDateTime.FromInstant(ev.Time.GetUtcNow()));
        Def("today", [], (ev, a) => DateOnly.FromDateTime(ev.Time.GetUtcNow().UtcDateTime));
        Def("day of week", ["date"], (ev, a) => DatePart(a) is { } d ? d.DayOfWeek.ToString() : null);
        Def("day of year", ["date"], (ev, a) => DatePart(a) is { } d ? (decimal)d.DayOfYear : null);
        Def("month of year", ["date"], (ev, a) => DatePart(a) is { } d ? CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(d.Month) : null);
        Def("week of year", ["date"], (ev, a) => DatePart(a) is { } d ? (decimal)ISOWeek.GetWeekOfYear(d.ToDateTime(TimeOnly.MinValue)) : null);
        Def("last day of month", ["date"], (ev, a) => DatePart(a) is { } d ? new DateOnly(d.Year, d.Month, DateTime.DaysInMonth(d.Year, d.Month)) : null);

        // Camunda 8's timer cycle: cycle(duration("PT1H")) is "R/PT1H", cycle(3, duration("PT1H")) is "R3/PT1H".
        Def("cycle", ["repetitions", "interval"], (ev, a) => Cycle(ev, a));
        return f;
    }

    private static string? Str(IReadOnlyList<object?> a, int i) => i < a.Count ? a[i] as string : null;

    private static decimal? Num(IReadOnlyList<object?> a, int i) => i < a.Count && a[i] is decimal d ? d : null;

    // Aggregates take a list or varargs: sum([1,2]) and sum(1,2).
    private static List<object?>? List(IReadOnlyList<object?> a) => a.Count == 1 && a[0] is List<object?> l ? l : a.Count == 0 || (a.Count == 1 && a[0] is null) ? null : [.. a];

    private static object? ToNumber(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        if (Str(a, 0) is not { } s)
        {
            return null;
        }

        // The separators are fixed by the spec: grouping a space, a comma or a dot; decimal a comma or a dot; never the same.
        var grouping = Str(a, 1);
        var separator = Str(a, 2);
        if ((a.Count > 1 && a[1] is not null && grouping is not (" " or "," or ".")) || (a.Count > 2 && a[2] is not null && separator is not ("," or "."))
            || (grouping is not null && grouping == separator))
        {
            return ev.Invalid("number() takes a grouping separator of ' ', ',' or '.' and a different decimal separator of ',' or '.'");
        }

        if (grouping is not null)
        {
            s = s.Replace(grouping, "", StringComparison.Ordinal);
        }

        if (separator is not null)
        {
            s = s.Replace(separator, ".", StringComparison.Ordinal);
        }

        return decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var n)
            ? n : ev.Invalid($"'{s}' is not a number");
    }

    private static string? Substring(IReadOnlyList<object?> a)
    {
        if (Str(a, 0) is not { } s || Num(a, 1) is not { } startNumber)
        {
            return null;
        }

        var runes = s.EnumerateRunes().ToArray();
        var start = (int)startNumber;
        var from = start > 0 ? start - 1 : runes.Length + start;
        from = Math.Clamp(from, 0, runes.Length);
        var length = a.Count > 2 && Num(a, 2) is { } l ? (int)l : runes.Length - from;
        length = Math.Clamp(length, 0, runes.Length - from);
        var sb = new StringBuilder();
        foreach (var rune in runes.AsSpan(from, length))
        {
            sb.Append(rune.ToString());
        }

        return sb.ToString();
    }

    private static string? StringJoin(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        // One string is a list of one (DMN's singleton conversion); the forms take 1, 2 or 4 arguments.
        var list = a.Count > 0 ? a[0] as List<object?> ?? (a[0] is string one ? [one] : null) : null;
        if (a.Count is 0 or 3 || list is null || list.Any(x => x is not (string or null)))
        {
            return null;
        }

        var delimiter = Str(a, 1) ?? "";
        var prefix = Str(a, 2) ?? "";
        var suffix = Str(a, 3) ?? "";
        ev.CheckString(prefix.Length + suffix.Length + list.Sum(x => (long)((x as string)?.Length ?? 0) + delimiter.Length), "the string string join() makes");
        return prefix + string.Join(delimiter, list.OfType<string>()) + suffix;
    }

    // The result can be no longer than every character replaced (and the gaps between them).
    private static string Replace(FeelEvaluator ev, Regex regex, string input, string replacement)
    {
        if (replacement.Length > 0 && input.Length + ((input.Length + 1L) * replacement.Length) > ev.Limits.MaxStringLength)
        {
            ev.CheckString(input.Length + ((input.Length + 1L) * replacement.Length), "the string replace() could make");
        }

        return regex.Replace(input, replacement);
    }

    private static List<object?> Concatenate(FeelEvaluator ev, IReadOnlyList<object?> lists)
    {
        ev.CheckCollection(lists.Sum(x => (decimal)((List<object?>)x!).Count), "the list concatenate() makes");
        return lists.SelectMany(x => (List<object?>)x!).ToList();
    }

    // string() of a large value is measured before it is written out.
    private static string? ToFeelString(FeelEvaluator ev, object? value)
    {
        ev.CheckString(FeelValue.EstimateLength(value, ev.Limits.MaxStringLength + 1L), "the string string() makes");
        return FeelValue.ToFeelString(value);
    }

    // Rounds to a scale of -6111 to 6176 (the spec's range): null for a scale that is no whole number in it. A mode of null
    // rounds away from zero (round up); -1 rounds half towards zero (round half down), which MidpointRounding lacks.
    private static object? Round(FeelEvaluator ev, IReadOnlyList<object?> a, MidpointRounding? mode, bool scaleRequired = false)
    {
        if (Num(a, 0) is not { } n || (a.Count < 2 && scaleRequired))
        {
            return null;
        }

        var scale = 0m;
        if (a.Count >= 2)
        {
            if (a[1] is not decimal s || s != decimal.Truncate(s) || s < -6111 || s > 6176)
            {
                return ev.Invalid("the scale must be a whole number from -6111 to 6176");
            }

            scale = s;
        }

        if (scale >= 28)
        {
            return n; // a decimal holds no more digits than that
        }

        var factor = Pow10((int)Math.Abs(scale));
        if (scale < -28)
        {
            return 0m;
        }

        var shifted = scale >= 0 ? n * factor : n / factor;
        decimal rounded;
        if (mode is null)
        {
            rounded = shifted >= 0 ? Math.Ceiling(shifted) : Math.Floor(shifted);
        }
        else if ((int)mode.Value == -1)
        {
            var truncated = decimal.Truncate(shifted);
            rounded = Math.Abs(shifted - truncated) > 0.5m ? truncated + Math.Sign(shifted) : truncated;
        }
        else
        {
            rounded = Math.Round(shifted, 0, mode.Value);
        }

        return scale >= 0 ? rounded / factor : rounded * factor;
    }

    private static decimal Pow10(int scale)
    {
        var factor = 1m;
        for (var i = 0; i < scale; i++)
        {
            factor *= 10;
        }

        return factor;
    }

    private static object? Extreme(List<object?>? list, int sign)
    {
        if (list is null || list.Count == 0)
        {
            return null;
        }

        var best = list[0];
        foreach (var item in list.Skip(1))
        {
            var c = FeelValue.Compare(item, best);
            if (c is null)
            {
                return null;
            }

            if (c * sign > 0)
            {
                best = item;
            }
        }

        return best;
    }

    private static object? Median(List<object?>? list)
    {
        if (list is null || list.Count == 0 || list.Any(x => x is not decimal))
        {
            return null;
        }

        var sorted = list.Select(x => (decimal)x!).Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    // "is" is identity of kind and value: a date is no date and time, and times in two zones are two times.
    private static bool Is(object? a, object? b) => (a, b) switch
    {
        (FeelTime x, FeelTime y) => x == y,
        (FeelDateTime x, FeelDateTime y) => x == y,
        _ => FeelValue.TypeName(a) == FeelValue.TypeName(b) && FeelValue.AreEqual(a, b) == true,
    };

    // The most frequent values, in ascending order; every value when all are as frequent.
    private static List<object?>? Mode(FeelEvaluator ev, List<object?>? list)
    {
        if (list is null || list.Any(x => x is not decimal))
        {
            return null;
        }

        ev.Step(list.Count);
        var groups = list.GroupBy(x => (decimal)x!).Select(g => (g.Key, Count: g.Count())).ToList();
        var most = groups.Count == 0 ? 0 : groups.Max(g => g.Count);
        return groups.Where(g => g.Count == most).Select(g => (object?)g.Key).OrderBy(x => (decimal)x!).ToList();
    }

    private static object? StandardDeviation(List<object?>? list)
    {
        if (list is null || list.Count < 2 || list.Any(x => x is not decimal))
        {
            return null;
        }

        var values = list.Select(x => (decimal)x!).ToList();
        var mean = values.Sum() / values.Count;
        var variance = values.Sum(x => (x - mean) * (x - mean)) / (values.Count - 1);
        return SquareRoot(variance);
    }

    // Newton's method in decimal, from the double estimate: 28 digits where Math.Sqrt gives 15.
    internal static decimal SquareRoot(decimal value)
    {
        if (value <= 0)
        {
            return 0;
        }

        var x = (decimal)Math.Sqrt((double)value);
        for (var i = 0; i < 4 && x != 0; i++)
        {
            x = (x + (value / x)) / 2;
        }

        return x;
    }

    private static object? All(List<object?>? list)
    {
        if (list is null || list.Any(x => x is not (bool or null)))
        {
            return null;
        }

        return list.Any(x => x is false) ? false : list.Any(x => x is null) ? null : true;
    }

    private static object? Any(List<object?>? list)
    {
        if (list is null || list.Any(x => x is not (bool or null)))
        {
            return null;
        }

        return list.Any(x => x is true) ? true : list.Any(x => x is null) ? null : false;
    }

    private static List<object?>? Sublist(IReadOnlyList<object?> a)
    {
        if (a.Count < 2 || a[0] is not List<object?> list || Num(a, 1) is not { } startNumber)
        {
            return null;
        }

        var start = (int)startNumber;
        var from = start > 0 ? start - 1 : list.Count + start;
        if (from < 0 || from >= list.Count)
        {
            return null;
        }

        var length = a.Count > 2 && Num(a, 2) is { } l ? (int)l : list.Count - from;
        return list.Skip(from).Take(length).ToList();
    }

    private static List<object?>? InsertBefore(IReadOnlyList<object?> a)
    {
        if (a.Count != 3 || a[0] is not List<object?> list || Num(a, 1) is not { } positionNumber)
        {
            return null;
        }

        var position = (int)positionNumber;
        var index = position > 0 ? position - 1 : list.Count + position;
        if (index < 0 || index > list.Count)
        {
            return null;
        }

        var copy = new List<object?>(list);
        copy.Insert(index, a[2]);
        return copy;
    }

    private static List<object?>? Remove(IReadOnlyList<object?> a)
    {
        if (a.Count != 2 || a[0] is not List<object?> list || Num(a, 1) is not { } positionNumber)
        {
            return null;
        }

        var position = (int)positionNumber;
        var index = position > 0 ? position - 1 : list.Count + position;
        if (index < 0 || index >= list.Count)
        {
            return null;
        }

        var copy = new List<object?>(list);
        copy.RemoveAt(index);
        return copy;
    }

    private static List<object?> Distinct(FeelEvaluator ev, IEnumerable<object?> items)
    {
        var result = new List<object?>();
        foreach (var item in items)
        {
            // Quadratic: each comparison is a step, so a large list runs into FeelLimits.MaxSteps, not on for minutes.
            ev.Step(result.Count + 1);
            if (!result.Any(x => FeelValue.AreEqual(x, item) == true))
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static List<object?> Duplicates(FeelEvaluator ev, List<object?> list)
    {
        var repeated = new List<object?>();
        for (var i = 0; i < list.Count; i++)
        {
            ev.Step(list.Count - i);
            if (list.Skip(i + 1).Any(y => FeelValue.AreEqual(list[i], y) == true))
            {
                repeated.Add(list[i]);
            }
        }

        return Distinct(ev, repeated);
    }

    private static List<object?> Flatten(List<object?> list)
    {
        var result = new List<object?>();
        foreach (var item in list)
        {
            if (item is List<object?> inner)
            {
                result.AddRange(Flatten(inner));
            }
            else
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static List<object?>? Sort(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        if (a.Count == 0 || a[0] is not List<object?> list)
        {
            return null;
        }

        // DMN requires the "precedes" function: without it there is no order to sort by.
        if (a.Count < 2 || a[1] is not FeelFunction precedes)
        {
            return null;
        }

        // A stable insertion sort: "precedes" is a strict order that may not be total.
        var copy = new List<object?>(list);
        for (var i = 1; i < copy.Count; i++)
        {
            var item = copy[i];
            var j = i - 1;
            while (j >= 0 && precedes.Invoke(ev, [item, copy[j]]) is true)
            {
                copy[j + 1] = copy[j];
                j--;
            }

            copy[j + 1] = item;
        }

        return copy;
    }

    private static FeelContext Put(FeelContext c, string key, object? value)
    {
        var copy = new FeelContext(c.Count + 1);
        foreach (var (k, v) in c)
        {
            copy[k] = v;
        }

        copy[key] = value;
        return copy;
    }

    // context put(c, ["y", "a"], 2): puts into the nested context, which must be there (or be the last key's place).
    private static FeelContext? PutPath(FeelContext c, List<object?> keys, int at, object? value)
    {
        var key = (string)keys[at]!;
        if (at == keys.Count - 1)
        {
            return Put(c, key, value);
        }

        return c[key] is FeelContext inner && PutPath(inner, keys, at + 1, value) is { } changed ? Put(c, key, changed) : null;
    }

    private static FeelContext Merge(List<object?> contexts)
    {
        var result = new FeelContext();
        foreach (FeelContext c in contexts.Cast<FeelContext>())
        {
            foreach (var (k, v) in c)
            {
                result[k] = v;
            }
        }

        return result;
    }
}
