using System.Globalization;
using System.Text;

namespace Workflows.Engine.Feel;

// FEEL values are plain CLR objects so that variables, FEEL and persistence share one shape:
//   null, bool, decimal (number), string, List<object?> (list), FeelContext (context),
//   DateOnly (date), FeelTime (time), FeelDateTime (date and time),
//   TimeSpan (days and time duration), FeelYearMonthDuration (years and months duration),
//   FeelRange (range), FeelFunction (function value).

/// <summary>A FEEL time of day, with an optional UTC offset.</summary>
public readonly record struct FeelTime(TimeOnly Time, TimeSpan? Offset)
{
    /// <summary>The IANA zone of a time written <c>10:30:00@Europe/Paris</c>; null for a local time or one with an offset.</summary>
    public string? Zone { get; init; }

    /// <inheritdoc />
    public override string ToString() => FeelValue.FormatTime(Time) + FeelValue.FormatOffset(Offset, Zone);
}

/// <summary>A FEEL date and time: a local date-time with an optional UTC offset or IANA zone.</summary>
public readonly record struct FeelDateTime(DateTime Local, TimeSpan? Offset, string? Zone)
{
    /// <summary>The instant this value denotes; a value without offset or zone is read as UTC.</summary>
    public DateTimeOffset ToInstant()
    {
        if (Offset is { } offset)
        {
            return new DateTimeOffset(DateTime.SpecifyKind(Local, DateTimeKind.Unspecified), offset);
        }

        if (Zone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(Zone, out var tz))
        {
            return new DateTimeOffset(DateTime.SpecifyKind(Local, DateTimeKind.Unspecified), tz.GetUtcOffset(Local));
        }

        return new DateTimeOffset(DateTime.SpecifyKind(Local, DateTimeKind.Unspecified), TimeSpan.Zero);
    }

    /// <summary>A zoned value for an instant, written with its UTC offset.</summary>
    public static FeelDateTime FromInstant(DateTimeOffset instant) => new(instant.DateTime, instant.Offset, null);

    /// <inheritdoc />
    public override string ToString()
    {
        var text = Local.ToString("yyyy-MM-dd'T'", CultureInfo.InvariantCulture) + FeelValue.FormatTime(TimeOnly.FromDateTime(Local));
        return text + FeelValue.FormatOffset(Offset, Zone);
    }
}

/// <summary>A FEEL years-and-months duration, counted in months.</summary>
public readonly record struct FeelYearMonthDuration(int TotalMonths) : IComparable<FeelYearMonthDuration>
{
    /// <inheritdoc />
    public int CompareTo(FeelYearMonthDuration other) => TotalMonths.CompareTo(other.TotalMonths);

    /// <summary>Orders by length.</summary>
    public static bool operator <(FeelYearMonthDuration left, FeelYearMonthDuration right) => left.TotalMonths < right.TotalMonths;

    /// <summary>Orders by length.</summary>
    public static bool operator >(FeelYearMonthDuration left, FeelYearMonthDuration right) => left.TotalMonths > right.TotalMonths;

    /// <summary>Orders by length.</summary>
    public static bool operator <=(FeelYearMonthDuration left, FeelYearMonthDuration right) => left.TotalMonths <= right.TotalMonths;

    /// <summary>Orders by length.</summary>
    public static bool operator >=(FeelYearMonthDuration left, FeelYearMonthDuration right) => left.TotalMonths >= right.TotalMonths;

    /// <inheritdoc />
    public override string ToString()
    {
        if (TotalMonths == 0)
        {
            return "P0M";
        }

        var sign = TotalMonths < 0 ? "-" : "";
        var months = Math.Abs(TotalMonths);
        var sb = new StringBuilder(sign).Append('P');
        if (months / 12 != 0)
        {
            sb.Append(months / 12).Append('Y');
        }

        if (months % 12 != 0)
        {
            sb.Append(months % 12).Append('M');
        }

        return sb.ToString();
    }
}

/// <summary>A FEEL range such as <c>[1..10)</c>; either end may be open-ended (null).</summary>
internal sealed record FeelRange(object? Start, bool StartIncluded, object? End, bool EndIncluded)
{
    /// <summary>The unary comparison the range was written as (<c>(&lt; 10)</c>); its missing end is unbounded. Null for a literal range.</summary>
    public string? Comparison { get; init; }

    public bool? Contains(object? value)
    {
        if (Comparison == "!=")
        {
            return !FeelValue.AreEqual(value, Start);
        }

        // A literal range with a null end point ("(null..10]") holds nothing that can be known.
        if (Comparison is null && (Start is null || End is null))
        {
            return null;
        }

        if (Start is not null)
        {
            var c = FeelValue.Compare(value, Start);
            if (c is null)
            {
                return null;
            }

            if (c < 0 || (c == 0 && !StartIncluded))
            {
                return false;
            }
        }

        if (End is not null)
        {
            var c = FeelValue.Compare(value, End);
            if (c is null)
            {
                return null;
            }

            if (c > 0 || (c == 0 && !EndIncluded))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A function value: a built-in or a user-defined lambda.</summary>
internal sealed record FeelFunction(string Name, IReadOnlyList<string> Parameters, Func<FeelEvaluator, IReadOnlyList<object?>, object?> Invoke)
{
    /// <summary>A built-in: what it returns is new, and counts against the evaluation's allocation budget.</summary>
    public bool IsBuiltIn { get; init; }

    /// <summary>Other parameter lists of a built-in with several forms, for named arguments.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Overloads { get; init; }

    /// <summary>Takes any number of arguments after its parameters (<c>min(1, 2, 3)</c>, <c>append(list, 1, 2)</c>).</summary>
    public bool IsVariadic { get; init; }
}

/// <summary>Type names, equality, ordering and text forms of FEEL values.</summary>
public static class FeelValue
{
    /// <summary>The FEEL type name of a value (<c>number</c>, <c>string</c>, <c>date and time</c>…).</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "null",
        bool => "boolean",
        decimal => "number",
        string => "string",
        List<object?> => "list",
        FeelContext => "context",
        DateOnly => "date",
        FeelTime => "time",
        FeelDateTime => "date and time",
        TimeSpan => "days and time duration",
        FeelYearMonthDuration => "years and months duration",
        FeelRange => "range",
        FeelFunction => "function",
        _ => value.GetType().Name,
    };

    /// <summary>FEEL equality: null when the two values are not comparable.</summary>
    public static bool? AreEqual(object? left, object? right)
    {
        switch (left, right)
        {
            case (null, null):
                return true;
            case (null, _) or (_, null):
                return false;
            case (decimal a, decimal b):
                return a == b;
            case (string a, string b):
                return string.Equals(a, b, StringComparison.Ordinal);
            case (bool a, bool b):
                return a == b;
            case (DateOnly a, DateOnly b):
                return a == b;
            case (FeelTime a, FeelTime b):
                return a.Time == b.Time && a.Offset == b.Offset && a.Zone == b.Zone;
            case (FeelDateTime a, FeelDateTime b):
                return a.ToInstant() == b.ToInstant();
            case (DateOnly a, FeelDateTime b):
                return AreEqual(new FeelDateTime(a.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero, null), b);
            case (FeelDateTime a, DateOnly b):
                return AreEqual(a, new FeelDateTime(b.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero, null));
            case (TimeSpan a, TimeSpan b):
                return a == b;
            case (FeelYearMonthDuration a, FeelYearMonthDuration b):
                return a.TotalMonths == b.TotalMonths;
            case (List<object?> a, List<object?> b):
                if (a.Count != b.Count)
                {
                    return false;
                }

                for (var i = 0; i < a.Count; i++)
                {
                    if (AreEqual(a[i], b[i]) != true)
                    {
                        return false;
                    }
                }

                return true;
            case (FeelContext a, FeelContext b):
                if (a.Count != b.Count)
                {
                    return false;
                }

                foreach (var (key, value) in a)
                {
                    if (!b.TryGetValue(key, out var other) || AreEqual(value, other) != true)
                    {
                        return false;
                    }
                }

                return true;
            case (FeelRange a, FeelRange b):
                return a.Comparison == b.Comparison && a.StartIncluded == b.StartIncluded && a.EndIncluded == b.EndIncluded
                    && AreEqual(a.Start, b.Start) == true && AreEqual(a.End, b.End) == true;
            default:
                return null;
        }
    }

    /// <summary>FEEL ordering: null when the two values cannot be ordered.</summary>
    public static int? Compare(object? left, object? right) => (left, right) switch
    {
        (decimal a, decimal b) => a.CompareTo(b),
        (string a, string b) => string.CompareOrdinal(a, b),
        (DateOnly a, DateOnly b) => a.CompareTo(b),
        (FeelTime a, FeelTime b) => a.Time.CompareTo(b.Time),
        (FeelDateTime a, FeelDateTime b) => a.ToInstant().CompareTo(b.ToInstant()),
        (DateOnly a, FeelDateTime b) => new DateTimeOffset(a.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).CompareTo(b.ToInstant()),
        (FeelDateTime a, DateOnly b) => a.ToInstant().CompareTo(new DateTimeOffset(b.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)),
        (TimeSpan a, TimeSpan b) => a.CompareTo(b),
        (FeelYearMonthDuration a, FeelYearMonthDuration b) => a.CompareTo(b),
        (bool a, bool b) when a == b => 0,
        _ => null,
    };

    /// <summary>The text FEEL's <c>string()</c> function gives for a value.</summary>
    public static string? ToFeelString(object? value) => value switch
    {
        null => null,
        string s => s,
        decimal d => FormatNumber(d),
        bool b => b ? "true" : "false",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeSpan t => FormatDuration(t),
        FeelTime or FeelDateTime or FeelYearMonthDuration => value.ToString(),
        _ => ToDisplayString(value),
    };

    /// <summary>A readable rendering of any value, as FEEL writes literals.</summary>
    public static string ToDisplayString(object? value) => ToDisplayString(value, int.MaxValue);

    /// <summary>
    /// The rendering of a value cut to about <paramref name="maxLength"/> characters (ending in "..." when cut), written no
    /// further: a message shows a value that may share one large list many times, small in memory and huge written out.
    /// </summary>
    public static string ToDisplayString(object? value, int maxLength)
    {
        var sb = new StringBuilder();
        Append(sb, value, maxLength);
        return sb.Length <= maxLength ? sb.ToString() : sb.ToString(0, Math.Max(0, maxLength - 3)) + "...";

        static void Append(StringBuilder sb, object? value, int max)
        {
            if (sb.Length > max)
            {
                return;
            }

            switch (value)
            {
                case null:
                    sb.Append("null");
                    break;
                case string s:
                    sb.Append('"').Append(s.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                    break;
                case List<object?> list:
                    sb.Append('[');
                    for (var i = 0; i < list.Count && sb.Length <= max; i++)
                    {
                        if (i > 0)
                        {
                            sb.Append(", ");
                        }

                        Append(sb, list[i], max);
                    }

                    sb.Append(']');
                    break;
                case FeelContext ctx:
                    sb.Append('{');
                    var first = true;
                    foreach (var (k, v) in ctx)
                    {
                        if (sb.Length > max)
                        {
                            break;
                        }

                        if (!first)
                        {
                            sb.Append(", ");
                        }

                        first = false;
                        sb.Append(k).Append(": ");
                        Append(sb, v, max);
                    }

                    sb.Append('}');
                    break;
                case FeelFunction f:
                    sb.Append("function ").Append(f.Name);
                    break;
                case FeelRange r:
                    sb.Append(r.StartIncluded ? '[' : '(');
                    Append(sb, r.Start, max);
                    sb.Append("..");
                    Append(sb, r.End, max);
                    sb.Append(r.EndIncluded ? ']' : ')');
                    break;
                case string or decimal or bool or DateOnly or TimeSpan or FeelTime or FeelDateTime or FeelYearMonthDuration:
                    sb.Append(ToFeelString(value));
                    break;
                default:
                    sb.Append(value.ToString());
                    break;
            }
        }
    }

    /// <summary>About how many characters <see cref="ToDisplayString(object?)"/> writes for a value, counted no further than <paramref name="stopAt"/>.</summary>
    internal static long EstimateLength(object? value, long stopAt)
    {
        long total = 0;
        var pending = new Stack<object?>();
        pending.Push(value);
        while (pending.TryPop(out var item) && total < stopAt)
        {
            switch (item)
            {
                case string s:
                    total += s.Length + 2;
                    break;
                case List<object?> list:
                    total += 2 + (2L * list.Count);
                    foreach (var x in list)
                    {
                        pending.Push(x);
                    }

                    break;
                case FeelContext context:
                    total += 2;
                    foreach (var (key, x) in context)
                    {
                        total += key.Length + 4;
                        pending.Push(x);
                    }

                    break;
                case decimal d:
                    total += d.Scale == 0 && Math.Abs(d) < 1_000_000 ? 7 : 31; // a sign, 29 digits and a point at most
                    break;
                default:
                    total += 40; // dates, durations and the like are short
                    break;
            }
        }

        return total;
    }

    /// <summary>Writes a number without exponent and without trailing zeros.</summary>
    public static string FormatNumber(decimal value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (text.Contains('.', StringComparison.Ordinal))
        {
            text = text.TrimEnd('0').TrimEnd('.');
        }

        return text == "-0" ? "0" : text;
    }

    /// <summary>Writes a days-and-time duration in ISO 8601 (<c>P1DT2H</c>).</summary>
    public static string FormatDuration(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "PT0S";
        }

        var sb = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            sb.Append('-');
            value = value.Negate();
        }

        sb.Append('P');
        if (value.Days > 0)
        {
            sb.Append(value.Days).Append('D');
        }

        if (value.Hours > 0 || value.Minutes > 0 || value.Seconds > 0 || value.Milliseconds > 0)
        {
            sb.Append('T');
            if (value.Hours > 0)
            {
                sb.Append(value.Hours).Append('H');
            }

            if (value.Minutes > 0)
            {
                sb.Append(value.Minutes).Append('M');
            }

            if (value.Seconds > 0 || value.Milliseconds > 0)
            {
                var seconds = value.Seconds + (value.Milliseconds / 1000m);
                sb.Append(FormatNumber(seconds)).Append('S');
            }
        }

        return sb.ToString();
    }

    internal static string FormatTime(TimeOnly time)
    {
        var text = time.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        return time.Millisecond != 0 ? text + "." + time.Millisecond.ToString("000", CultureInfo.InvariantCulture) : text;
    }

    internal static string FormatOffset(TimeSpan? offset, string? zone)
    {
        if (zone is not null)
        {
            return "@" + zone;
        }

        if (offset is not { } o)
        {
            return "";
        }

        if (o == TimeSpan.Zero)
        {
            return "Z";
        }

        var sign = o < TimeSpan.Zero ? "-" : "+";
        o = o.Duration();
        var text = sign + o.Hours.ToString("00", CultureInfo.InvariantCulture) + ":" + o.Minutes.ToString("00", CultureInfo.InvariantCulture);
        return o.Seconds == 0 ? text : text + ":" + o.Seconds.ToString("00", CultureInfo.InvariantCulture);
    }
}
