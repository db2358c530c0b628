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

    // The shapes of form-js's validationType, written for this engine: an address with a dot in its domain, and an
    // international number (a plus or 00, then digits with spaces, dots, dashes or brackets).
    private static readonly Regex s_email = new(@"^[^\s@""<>()\[\],;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$", RegexOptions.CultureInvariant, s_patternTimeout);
    private static readonly Regex s_phone = new(@"^(\+|00)[1-9][0-9 .()-]{5,20}$", RegexOptions.CultureInvariant, s_patternTimeout);

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
            if (IsEmpty(value))
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
        return (field.Min, field.Max) switch
        {
            ({ } min, { } max) when number < min || number > max => (number < min ? "min" : "max", $"must be from {N(min)} to {N(max)}"),
            ({ } min, null) when number < min => ("min", $"must be at least {N(min)}"),
            (null, { } max) when number > max => ("max", $"must be at most {N(max)}"),
            _ => null,
        };
    }

    private static (string, string)? TextProblem(FormFieldRule field, string text, PatternTime budget)
    {
        if (field.MinLength is { } min && text.Length < min)
        {
            return ("minLength", $"must be at least {min.ToString("N0", CultureInfo.InvariantCulture)} characters");
        }

        if (field.MaxLength is { } max && text.Length > max)
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
            "phone" when budget.Matches(s_phone, text) is not true => ("phone", "must be a phone number in international form (+33 1 23 45 67 89)"),
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
