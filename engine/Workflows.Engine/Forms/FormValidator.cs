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
    // A pattern is the modeller's, run on what a person typed: bounded like FEEL's (FeelLimits.RegexTimeout's default).
    private static readonly TimeSpan s_patternTimeout = TimeSpan.FromMilliseconds(100);

    // The shapes of form-js's validationType, written for this engine: an address with a dot in its domain, and an
    // international number (a plus or 00, then digits with spaces, dots, dashes or brackets).
    private static readonly Regex s_email = new(@"^[^\s@""<>()\[\],;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$", RegexOptions.CultureInvariant, s_patternTimeout);
    private static readonly Regex s_phone = new(@"^(\+|00)[1-9][0-9 .()-]{5,20}$", RegexOptions.CultureInvariant, s_patternTimeout);

    /// <summary>The pattern as a .NET regular expression with a time-out; null when it is not one.</summary>
    public static Regex? Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, s_patternTimeout);
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

            if (Problem(field, value) is { } problem)
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

    private static (string Rule, string Text)? Problem(FormFieldRule field, object value) => field.Type switch
    {
        "number" => NumberProblem(field, value),
        "checkbox" => value is bool ? null : ("type", "must be true or false"),
        "checklist" or "taglist" => ListProblem(field, value),
        "radio" or "select" => OptionProblem(field, value),
        "datetime" => DateProblem(field, value),
        _ => value is string text ? TextProblem(field, text) : ("type", "must be text"),
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

    private static (string, string)? TextProblem(FormFieldRule field, string text)
    {
        if (field.MinLength is { } min && text.Length < min)
        {
            return ("minLength", $"must be at least {min.ToString("N0", CultureInfo.InvariantCulture)} characters");
        }

        if (field.MaxLength is { } max && text.Length > max)
        {
            return ("maxLength", $"must be at most {max.ToString("N0", CultureInfo.InvariantCulture)} characters");
        }

        if (field.Pattern is { } pattern && !Matches(Compile(pattern), text))
        {
            return ("pattern", $"must match the pattern {pattern}");
        }

        return field.ValidationType switch
        {
            "email" when !Matches(s_email, text) => ("email", "must be an email address"),
            "phone" when !Matches(s_phone, text) => ("phone", "must be a phone number in international form (+33 1 23 45 67 89)"),
            _ => null,
        };
    }

    // A pattern that takes too long on this text does not match it: the person is told, the engine is not held up.
    private static bool Matches(Regex? regex, string text)
    {
        try
        {
            return regex is not null && regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
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
