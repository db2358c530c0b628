using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Forms;

/// <summary>
/// Checks the values a person submitted against a form's rules, the way form-js's viewer does in the browser: a field
/// left empty is refused only when required; a filled one must be of its field's kind, within min/max, minLength/maxLength,
/// match its pattern (and an email or phone shape), and be one of a choice's options.
/// </summary>
internal static class FormValidator
{
    /// <summary>
    /// The time every pattern of one completion may take together (each at most 100 ms): a form of many patterned fields,
    /// sent again and again, must not buy a request seconds of CPU. A field whose pattern ran out of time, or was left
    /// when the budget was spent, is refused, saying it could not be checked in time.
    /// </summary>
    public static readonly TimeSpan PatternBudget = TimeSpan.FromMilliseconds(250);

    // A pattern is the modeller's, run on what a person typed: bounded like FEEL's (FeelLimits.RegexTimeout's default).
    private static readonly TimeSpan s_patternTimeout = TimeSpan.FromMilliseconds(100);

    // form-js's own shapes for validationType (form-js-viewer 1.23's EMAIL_PATTERN and PHONE_PATTERN, the same
    // expressions): an ASCII address, and a plus or 00, a country calling code, then digits only. Like form-js, the
    // phone pattern is anchored at its end only.
    private static readonly Regex s_email = new(
        @"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$",
        RegexOptions.CultureInvariant, s_patternTimeout);

    private static readonly Regex s_phone = new(
        @"(\+|00)(297|93|244|1264|358|355|376|971|54|374|1684|1268|61|43|994|257|32|229|226|880|359|973|1242|387|590|375|501|1441|591|55|1246|673|975|267|236|1|61|41|56|86|225|237|243|242|682|57|269|238|506|53|5999|61|1345|357|420|49|253|1767|45|1809|1829|1849|213|593|20|291|212|34|372|251|358|679|500|33|298|691|241|44|995|44|233|350|224|590|220|245|240|30|1473|299|502|594|1671|592|852|504|385|509|36|62|44|91|246|353|98|964|354|972|39|1876|44|962|81|76|77|254|996|855|686|1869|82|383|965|856|961|231|218|1758|423|94|266|370|352|371|853|590|212|377|373|261|960|52|692|389|223|356|95|382|976|1670|258|222|1664|596|230|265|60|262|264|687|227|672|234|505|683|31|47|977|674|64|968|92|507|64|51|63|680|675|48|1787|1939|850|351|595|970|689|974|262|40|7|250|966|249|221|65|500|4779|677|232|503|378|252|508|381|211|239|597|421|386|46|268|1721|248|963|1649|235|228|66|992|690|993|670|676|1868|216|90|688|886|255|256|380|598|1|998|3906698|379|1784|58|1284|1340|84|678|681|685|967|27|260|263)"
        + @"(9[976]\d|8[987530]\d|6[987]\d|5[90]\d|42\d|3[875]\d|2[98654321]\d|9[8543210]|8[6421]|6[6543210]|5[87654321]|4[987654310]|3[9643210]|2[70]|7|1)\d{4,20}$",
        RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, s_patternTimeout);

    /// <summary>The pattern (JavaScript's, as form-js tests it) as a .NET regular expression with a time-out; null when it is not one.</summary>
    public static Regex? Compile(string pattern) => Compile(pattern, s_patternTimeout);

    /// <summary>
    /// The pattern run without backtracking where .NET can (linear in the text: <c>^(a+)+$</c> costs what <c>^a+$</c>
    /// does), else with backtracking (lookarounds, back-references), within <paramref name="timeout"/> either way.
    /// </summary>
    private static Regex? Compile(string pattern, TimeSpan timeout)
    {
        pattern = EcmaPattern.ToDotNet(pattern);
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, timeout);
        }
        catch (NotSupportedException)
        {
        }
        catch (ArgumentException)
        {
            return null;
        }

        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, timeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Every field's problem, by field key, with the rule it broke (<c>required</c>, <c>type</c>, <c>min</c>, …).</summary>
    public static IReadOnlyList<FormProblem> Check(TaskFormSchema form, FeelContext values)
    {
        var problems = new List<FormProblem>();
        var budget = new PatternTime(PatternBudget);
        foreach (var field in form.Fields)
        {
            var value = Find(values, field.Path);
            if (IsEmpty(value) || (field.UncheckedIsEmpty && value is false))
            {
                if (field.Required && !field.Conditional && !field.Disabled)
                {
                    problems.Add(new FormProblem(field.Key, "required", $"{field.Label} is required"));
                }

                continue;
            }

            if (Problem(field, value, budget) is { } problem)
            {
                problems.Add(new FormProblem(field.Key, problem.Rule, $"{field.Label} {problem.Text}"));
            }
        }

        return problems;
    }

    private static object? Find(FeelContext values, IReadOnlyList<string> path)
    {
        object? current = values;
        foreach (var segment in path)
        {
            if (current is not FeelContext context || !context.TryGetValue(segment, out current))
            {
                return null;
            }
        }

        return current;
    }

    private static bool IsEmpty([System.Diagnostics.CodeAnalysis.NotNullWhen(false)] object? value) => value is null or "" || value is IList { Count: 0 };

    private static (string Rule, string Text)? Problem(FormFieldRule field, object value, PatternTime budget) => field.Type switch
    {
        "number" => NumberProblem(field, value),
        "checkbox" => value is bool ? null : ("type", "must be true or false"),
        "checklist" or "taglist" => ListProblem(field, value),
        "radio" or "select" => OptionProblem(field, value),
        "datetime" => DateProblem(field, value),
        _ => value is string text ? TextProblem(field, text, budget) : ("type", "must be text"),
    };

    private static (string, string)? NumberProblem(FormFieldRule field, object value)
    {
        decimal number;
        if (value is decimal d)
        {
            number = d;
        }
        else if (field.NumberAsText && value is string s && decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
        {
            number = parsed;
        }
        else
        {
            return ("type", "must be a number");
        }

        static string N(decimal n) => n.ToString(CultureInfo.InvariantCulture);
        if (field.DecimalDigits is { } digits && number != 0 && DecimalDigits(number) > digits)
        {
            return ("decimalDigits", digits == 0 ? "must be a whole number" : $"must have at most {digits} digit{(digits > 1 ? "s" : "")} after the point");
        }

        if (field.Increment is { } step && step > 0 && number % step is var offset && offset != 0)
        {
            // As form-js says it: the multiples of the increment on either side (its offset keeps the value's sign).
            var below = number - offset;
            return ("increment", $"must be a multiple of {N(step)}: the nearest are {N(below)} and {N(below + step)}");
        }

        return (field.Min, field.Max) switch
        {
            ({ } min, { } max) when number < min || number > max => (number < min ? "min" : "max", $"must be from {N(min)} to {N(max)}"),
            ({ } min, null) when number < min => ("min", $"must be at least {N(min)}"),
            (null, { } max) when number > max => ("max", $"must be at most {N(max)}"),
            _ => null,
        };
    }

    // Digits after the point once trailing zeros are gone (4.50 has one), as form-js counts them.
    private static int DecimalDigits(decimal number) => (decimal.GetBits(number / 1.0000000000000000000000000000m)[3] >> 16) & 0xFF;

    private static (string, string)? TextProblem(FormFieldRule field, string text, PatternTime budget)
    {
        // form-js measures the text without the spaces around it.
        var length = text.Trim().Length;
        if (field.MinLength is { } min && length < min)
        {
            return ("minLength", $"must be at least {min.ToString("N0", CultureInfo.InvariantCulture)} characters");
        }

        if (field.MaxLength is { } max && length > max)
        {
            return ("maxLength", $"must be at most {max.ToString("N0", CultureInfo.InvariantCulture)} characters");
        }

        if (field.Pattern is { } pattern && budget.Matches(pattern, text) is var matched && matched is not true)
        {
            return ("pattern", matched is null ? $"could not be checked against the pattern {pattern} in time" : $"must match the pattern {pattern}");
        }

        return field.ValidationType switch
        {
            "email" when budget.Matches(s_email, text) is not true => ("email", "must be an email address"),
            "phone" when budget.Matches(s_phone, text) is not true => ("phone", "must be an international phone number, digits only (+4930664040900)"),
            _ => null,
        };
    }

    /// <summary>
    /// What is left of one completion's pattern budget. A pattern that takes too long on a text does not match it, and
    /// once the budget is spent none is run: the person is told which fields were not taken, the engine is not held up.
    /// Building a pattern counts too (the form's, read from the task's row).
    /// </summary>
    private sealed class PatternTime(TimeSpan budget)
    {
        private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();

        private TimeSpan Left => budget - System.Diagnostics.Stopwatch.GetElapsedTime(_started);

        /// <summary>Whether the pattern matches the text; null when it could not be told in time (the budget spent, or the pattern's own time-out).</summary>
        public bool? Matches(string pattern, string text)
        {
            var left = Left;
            return left <= TimeSpan.Zero ? null : Run(Compile(pattern, left < s_patternTimeout ? left : s_patternTimeout), text);
        }

        public bool? Matches(Regex regex, string text) => Left <= TimeSpan.Zero ? null : Run(regex, text);

        private static bool? Run(Regex? regex, string text)
        {
            try
            {
                return regex is not null && regex.IsMatch(text);
            }
            catch (RegexMatchTimeoutException)
            {
                return null;
            }
        }
    }

    private static string? Scalar(object value) => value switch
    {
        string s => s,
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => null,
    };

    private static (string, string)? OptionProblem(FormFieldRule field, object value)
    {
        var text = Scalar(value);
        if (text is null)
        {
            return ("type", "must be one value");
        }

        return field.Options is { } options && !options.Contains(text, StringComparer.Ordinal)
            ? ("options", $"must be one of {string.Join(", ", options)}")
            : null;
    }

    private static (string, string)? ListProblem(FormFieldRule field, object value)
    {
        if (value is not IList list)
        {
            return ("type", "must be a list of values");
        }

        foreach (var item in list)
        {
            var text = item is null ? null : Scalar(item);
            if (text is null)
            {
                return ("type", "must be a list of values");
            }

            if (field.Options is { } options && !options.Contains(text, StringComparer.Ordinal))
            {
                return ("options", $"must hold only {string.Join(", ", options)}");
            }
        }

        return null;
    }

    private static (string, string)? DateProblem(FormFieldRule field, object value)
    {
        if (value is DateOnly && field.DateOnly)
        {
            return null;
        }

        var text = value as string;
        if (field.DateOnly)
        {
            return text is not null && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                ? null : ("type", "must be a date (yyyy-MM-dd)");
        }

        if (field.TimeOnly)
        {
            // form-js sends a time with or without its offset (13:30, 13:30Z, 13:30+01:00).
            return text is not null && TimeOnly.TryParseExact(text.Length >= 5 ? text[..5] : text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                ? null : ("type", "must be a time (HH:mm)");
        }

        return text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
            ? null : ("type", "must be a date and time (yyyy-MM-ddTHH:mm)");
    }
}

/// <summary>What is wrong with one field: its key, the rule it broke and the sentence a person reads.</summary>
internal sealed record FormProblem(string Key, string Rule, string Message);
