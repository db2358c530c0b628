using System.Globalization;
using System.Xml;
using Workflows.Engine.Model;

namespace Workflows.Engine.Parameters;

// What the parameters' parse listener reads from a process (docs/bpmn-extensions.md: wf:parameter), kept as a part
// of the parsed process; branches set values within these bounds (WorkflowBranches.SetParametersAsync).

/// <summary>The kind of value a local parameter holds.</summary>
internal enum ParameterType
{
    /// <summary>A number, within <c>min</c> and <c>max</c> when given.</summary>
    Number,

    /// <summary>Text of at most <see cref="ParameterDeclaration.MaxTextLength"/> characters, one of <c>values</c> when given.</summary>
    String,

    /// <summary>True or false.</summary>
    Boolean,

    /// <summary>An ISO 8601 days-time duration (<c>PT4H</c>, <c>P2D</c>), within <c>min</c> and <c>max</c> when given.</summary>
    Duration,
}

/// <summary>One parameter a journey lets a branch set: its type, bounds and standard value.</summary>
internal sealed record ParameterDeclaration(string Name, ParameterType Type, string? Label, string? Min, string? Max, IReadOnlyList<string> Values, string? Default)
{
    /// <summary>The longest text value a branch may give.</summary>
    public const int MaxTextLength = 200;

    public string TypeName => Type.ToString().ToLowerInvariant();

    /// <summary>Reads <paramref name="text"/> as a value of this parameter, or says why it is not one (naming the bound).</summary>
    public bool TryRead(string? text, out object? value, out string? problem)
    {
        value = null;
        problem = null;
        if (text is null)
        {
            problem = $"parameter '{Name}' needs a {TypeName} value";
            return false;
        }

        switch (Type)
        {
            case ParameterType.Number:
                // Plain digits only: no thousands separator (a French "1,5" read as 15), space, trailing sign or exponent.
                if (!IsPlainNumber(text) || !decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                {
                    problem = $"parameter '{Name}' is a plain number such as 1500 or 1.5 (digits, an optional leading minus and a decimal point, at most 28 digits); '{Truncate(text)}' is not one";
                    return false;
                }

                if (Min is not null && number < decimal.Parse(Min, CultureInfo.InvariantCulture))
                {
                    problem = $"parameter '{Name}' is {Format(number)}, below its minimum {Min}";
                    return false;
                }

                if (Max is not null && number > decimal.Parse(Max, CultureInfo.InvariantCulture))
                {
                    problem = $"parameter '{Name}' is {Format(number)}, above its maximum {Max}";
                    return false;
                }

                value = number;
                return true;
            case ParameterType.Boolean:
                if (!bool.TryParse(text, out var flag))
                {
                    problem = $"parameter '{Name}' is true or false, not '{Truncate(text)}'";
                    return false;
                }

                value = flag;
                return true;
            case ParameterType.Duration:
                if (ReadDuration(text) is not { } duration)
                {
                    problem = $"parameter '{Name}' is an ISO 8601 duration such as PT4H; '{Truncate(text)}' is not one";
                    return false;
                }

                if (Min is not null && duration < ReadDuration(Min))
                {
                    problem = $"parameter '{Name}' is {text}, below its minimum {Min}";
                    return false;
                }

                if (Max is not null && duration > ReadDuration(Max))
                {
                    problem = $"parameter '{Name}' is {text}, above its maximum {Max}";
                    return false;
                }

                value = text;
                return true;
            default:
                if (text.Length > MaxTextLength)
                {
                    problem = $"parameter '{Name}' takes at most {MaxTextLength} characters, not {text.Length:N0}";
                    return false;
                }

                if (Values.Count > 0 && !Values.Contains(text, StringComparer.Ordinal))
                {
                    problem = $"parameter '{Name}' is one of {string.Join(", ", Values)}, not '{Truncate(text)}'";
                    return false;
                }

                value = text;
                return true;
        }
    }

    /// <summary>A days-time ISO 8601 duration, or null when <paramref name="text"/> is not one.</summary>
    public static TimeSpan? ReadDuration(string text)
    {
        if (!text.StartsWith('P') || text.Contains('Y', StringComparison.Ordinal) || text.Contains('W', StringComparison.Ordinal) || (text.IndexOf('M', StringComparison.Ordinal) is var m and >= 0 && (text.IndexOf('T', StringComparison.Ordinal) is var t && (t < 0 || m < t))))
        {
            return null; // years, months and weeks have no fixed length; a bound needs one
        }

        try
        {
            return XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The value as a branch stores it: a number in its canonical form (1.50 as 1.5), anything else as given.</summary>
    public string Canonical(string text) => Type == ParameterType.Number && TryRead(text, out var value, out _) && value is decimal d ? Format(d) : text;

    private static bool IsPlainNumber(string text)
    {
        var digits = text.AsSpan(text.StartsWith('-') ? 1 : 0);
        var point = digits.IndexOf('.');
        var whole = point < 0 ? digits : digits[..point];
        var fraction = point < 0 ? [] : digits[(point + 1)..];
        return whole.Length > 0 && whole.Length + fraction.Length <= 28 && (point < 0 || fraction.Length > 0)
            && !whole.ContainsAnyExceptInRange('0', '9') && !fraction.ContainsAnyExceptInRange('0', '9');
    }

    /// <summary>A value as text, as a branch stores it.</summary>
    public static string? ToText(object? value) => value switch
    {
        null => null,
        decimal d => Format(d),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static string Format(decimal d) => d.ToString("0.############################", CultureInfo.InvariantCulture);

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>The parameters a process declares, in the order declared.</summary>
internal sealed class ProcessParameters(IReadOnlyList<ParameterDeclaration> declarations)
{
    public IReadOnlyList<ParameterDeclaration> Declarations { get; } = declarations;
}

/// <summary>Reading the part from the model.</summary>
internal static class ParameterModelExtensions
{
    extension(ProcessModel process)
    {
        /// <summary>The parameters the process lets a branch set; empty when none.</summary>
        public IReadOnlyList<ParameterDeclaration> Parameters => process.Part<ProcessParameters>()?.Declarations ?? [];
    }
}
