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
        void Def(string name, string[] parameters, Func<FeelEvaluator, IReadOnlyList<object?>, object?> body) =>
            f[name] = new FeelFunction(name, parameters, body) { IsBuiltIn = true };

        // Conversion
        Def("string", ["from"], (ev, a) => a.Count == 1 ? ToFeelString(ev, a[0]) : ev.Invalid("string() takes one argument"));
        Def("number", ["from", "grouping separator", "decimal separator"], (ev, a) => ToNumber(ev, a));
        Def("not", ["negand"], (ev, a) => a.Count == 1 && a[0] is bool b ? !b : null);
        Def("is defined", ["value"], (ev, a) => a.Count == 1 && a[0] is not null);

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
        Def("decimal", ["n", "scale"], (ev, a) => Num(a, 0) is { } n && Num(a, 1) is { } s ? Math.Round(n, (int)s, MidpointRounding.ToEven) : null);
        Def("floor", ["n", "scale"], (ev, a) => Num(a, 0) is { } n ? Scaled(n, a, MidpointRounding.ToNegativeInfinity) : null);
        Def("ceiling", ["n", "scale"], (ev, a) => Num(a, 0) is { } n ? Scaled(n, a, MidpointRounding.ToPositiveInfinity) : null);
        Def("round up", ["n", "scale"], (ev, a) => Num(a, 0) is { } n ? Scaled(n, a, MidpointRounding.AwayFromZero, roundAll: true) : null);
        Def("round down", ["n", "scale"], (ev, a) => Num(a, 0) is { } n ? Scaled(n, a, MidpointRounding.ToZero) : null);
        Def("round half up", ["n", "scale"], (ev, a) => Num(a, 0) is { } n && Num(a, 1) is { } s ? Math.Round(n, (int)s, MidpointRounding.AwayFromZero) : null);
        Def("round half down", ["n", "scale"], (ev, a) => Num(a, 0) is { } n && Num(a, 1) is { } s ? RoundHalfDown(n, (int)s) : null);
        Def("abs", ["n"], (ev, a) => a.Count == 1 ? a[0] switch
        {
            decimal n => Math.Abs(n),
            TimeSpan t => t.Duration(),
            FeelYearMonthDuration y => new FeelYearMonthDuration(Math.Abs(y.TotalMonths)),
            _ => null,
        } : null);
        Def("modulo", ["dividend", "divisor"], (ev, a) => Num(a, 0) is { } x && Num(a, 1) is { } y && y != 0 ? x - (y * Math.Floor(x / y)) : null);
        Def("sqrt", ["number"], (ev, a) => Num(a, 0) is { } n && n >= 0 ? (decimal)Math.Sqrt((double)n) : null);
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
        Def("context put", ["context", "key", "value"], (ev, a) => a.Count == 3 && a[0] is FeelContext c && a[1] is string k ? Put(c, k, a[2]) : null);
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
    private static List<object?>? List(IReadOnlyList<object?> a) => a.Count == 1 && a[0] is List<object?> l ? l : a.Count == 1 && a[0] is null ? null : [.. a];

    private static object? ToNumber(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        if (Str(a, 0) is not { } s)
        {
            return a.Count > 0 && a[0] is decimal d ? d : null;
        }

        if (Str(a, 1) is { } grouping)
        {
            s = s.Replace(grouping, "", StringComparison.Ordinal);
        }

        if (Str(a, 2) is { } separator)
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

    private static Regex? MakeRegex(FeelEvaluator ev, IReadOnlyList<object?> a, int patternIndex, int? flagsIndex = null)
    {
        if (Str(a, patternIndex) is not { } pattern)
        {
            return null;
        }

        var options = RegexOptions.CultureInvariant;
        var flags = Str(a, flagsIndex ?? patternIndex + 1) ?? "";
        if (flags.Contains('i', StringComparison.Ordinal))
        {
            options |= RegexOptions.IgnoreCase;
        }

        if (flags.Contains('s', StringComparison.Ordinal))
        {
            options |= RegexOptions.Singleline;
        }

        if (flags.Contains('m', StringComparison.Ordinal))
        {
            options |= RegexOptions.Multiline;
        }

        if (flags.Contains('x', StringComparison.Ordinal))
        {
            options |= RegexOptions.IgnorePatternWhitespace;
        }

        try
        {
            // A bounded match time keeps a hostile pattern from stalling the engine (FeelLimits.RegexTimeout).
            return new Regex(pattern, options, ev.Limits.RegexTimeout);
        }
        catch (ArgumentException e)
        {
            ev.Warn($"invalid pattern: {e.Message}");
            return null;
        }
    }

    private static string? StringJoin(FeelEvaluator ev, IReadOnlyList<object?> a)
    {
        if (a.Count == 0 || a[0] is not List<object?> list || list.Any(x => x is not (string or null)))
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

    private static decimal Scaled(decimal n, IReadOnlyList<object?> a, MidpointRounding mode, bool roundAll = false)
    {
        var scale = Num(a, 1) is { } s ? (int)s : 0;
        if (roundAll)
        {
            var factor = Pow10(scale);
            return decimal.Truncate(n * factor) == n * factor ? n : (n >= 0 ? Math.Ceiling(n * factor) : Math.Floor(n * factor)) / factor;
        }

        return Math.Round(n, scale, mode);
    }

    private static decimal RoundHalfDown(decimal n, int scale)
    {
        var factor = Pow10(scale);
        var shifted = n * factor;
        var truncated = decimal.Truncate(shifted);
        var fraction = Math.Abs(shifted - truncated);
        return (fraction > 0.5m ? truncated + Math.Sign(shifted) : truncated) / factor;
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
