using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Workflows.Engine;
using Workflows.Engine.Runtime;

namespace Workflows.Host.Features.Api;

/// <summary>
/// What the API accepts from a caller before the engine sees it: no system variable, numbers the engine can hold,
/// texts within their length limits, and a form's fields only, within the bounds the model gives them. Each refusal
/// names the field and the limit.
/// </summary>
internal static class InputRules
{
    /// <summary>
    /// Variables the engine and the journeys set and trust (the case's correlation key, the branch and its settings and
    /// calendar, where a handoff came from): no caller sets them, whatever their role.
    /// </summary>
    public static readonly IReadOnlySet<string> SystemVariables = new HashSet<string>(StringComparer.Ordinal)
    {
        "caseId", "branch", "branchSettings", "calendar", "handoff",
    };

    /// <summary>The system variables a form's fields set (by their top-level name), as the pages get them so that they never send them back.</summary>
    public static IReadOnlyList<string> EngineOwnedOf(IEnumerable<TaskFormField> fields) =>
        [.. fields.Select(f => f.Id.Split('.')[0]).Where(SystemVariables.Contains).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Besides the system variables, what no message or task completion changes: whose case it is.</summary>
    public static readonly IReadOnlySet<string> PartyVariables = new HashSet<string>(StringComparer.Ordinal) { "customerId" };

    /// <exception cref="WorkflowInputException">The variables name one of <paramref name="reserved"/>.</exception>
    public static void RefuseReserved(Dictionary<string, JsonElement>? variables, string what, params IReadOnlySet<string>[] reserved)
    {
        var refused = (variables?.Keys.AsEnumerable() ?? []).Where(k => reserved.Any(r => r.Contains(k))).Order(StringComparer.Ordinal).ToList();
        if (refused.Count > 0)
        {
            throw new WorkflowInputException($"variables.{string.Join(", variables.", refused)}: set by the engine alone, not by {what}");
        }
    }

    /// <summary>Variable names within the name limit, and every number within the engine's decimal range.</summary>
    /// <exception cref="WorkflowInputException">A name is too long or a number out of range, named by its path.</exception>
    public static void CheckVariables(Dictionary<string, JsonElement>? variables, ApiLimits limits)
    {
        foreach (var (name, value) in variables ?? [])
        {
            // A NUL in a text the API stores is refused in the engine's words (the body's reader refuses the texts of a
            // request's object before its handler runs; this catches any that reach a rule by another way).
            StorableText.Check(name, "variables: a name");
            Text(name, "a variable name", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength));
            CheckNumbers(value, "variables." + name, depth: 0);
        }
    }

    private static void CheckNumbers(JsonElement value, string path, int depth)
    {
        // The engine's own variable size limit bounds the breadth; the body's reader bounds the depth (ApiJson.MaxBodyDepth),
        // checked again here before any recursion of its own. The engine refuses a variable deeper than its own limit by name.
        if (depth > ApiJson.MaxBodyDepth)
        {
            throw new WorkflowInputException($"{path}: nested deeper than {ApiJson.MaxBodyDepth} levels");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Number when !value.TryGetDecimal(out _):
                throw new WorkflowInputException($"{path}: {Shorten(value.GetRawText())} is beyond the range of a number (±{decimal.MaxValue.ToString("E3", CultureInfo.InvariantCulture)}, 28 decimal places)");
            case JsonValueKind.String:
                _ = Unicode(() => value.GetString(), path);
                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    CheckNumbers(property.Value, $"{path}.{Unicode(() => property.Name, path + ": a name")}", depth + 1);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    CheckNumbers(item, $"{path}[{i++}]", depth + 1);
                }

                break;
        }
    }

    // An escaped unpaired surrogate ("\ud800") passes the JSON reader but is no Unicode text: refused, naming where (a
    // value by its path, a name by its object's path and ": a name"), in the words every text of a request gets.
    private static string? Unicode(Func<string?> read, string path)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException)
        {
            throw new WorkflowInputException(StorableText.SurrogateProblem(path));
        }
    }

    /// <summary>A text within its length limit, and with no NUL character.</summary>
    /// <exception cref="WorkflowInputException">Longer than <paramref name="max"/> characters, or holding a NUL.</exception>
    public static string? Text(string? value, string field, int max, string setting)
    {
        StorableText.Check(value, field);
        if (value is not null && value.Length > max)
        {
            throw new WorkflowInputException($"{field} is {value.Length:N0} characters long; the limit is {max:N0} (Workflows:Limits:{setting})");
        }

        return value;
    }

    /// <summary>Whether <paramref name="text"/> shows anything: not only white space, invisible format characters (zero-width spaces and joiners, the byte-order mark), fillers and variation selectors.</summary>
    public static bool IsVisible(string? text) => text is not null && text.Any(c => !char.IsWhiteSpace(c) && !Invisible(c));

    private static bool Invisible(char c) =>
        CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.Control or UnicodeCategory.SpaceSeparator
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        || c is '\u115F' or '\u1160' or '\u3164' or '\uFFA0' or '\u2800' || c is >= '\uFE00' and <= '\uFE0F';

    /// <summary>
    /// A business key a caller chose: within <see cref="ApiLimits.MaxNameLength"/>, only visible characters and inner
    /// spaces. A key shows in lists and logs and is what answers correlate by: one with a zero-width space or a line
    /// break would pass for another case's key.
    /// </summary>
    /// <exception cref="WorkflowInputException">Too long, or with an invisible or control character, or a space at an end.</exception>
    public static void Key(string? value, string field, ApiLimits limits)
    {
        Text(value, field, limits.MaxNameLength, nameof(ApiLimits.MaxNameLength));
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]) || value.Any(c => c != ' ' && Invisible(c)))
        {
            throw new WorkflowInputException($"{field}: a key holds only visible characters and inner spaces (no control, zero-width or other invisible character, no space at either end)");
        }
    }

    /// <summary>A name, id or key: required, and within <see cref="ApiLimits.MaxNameLength"/>.</summary>
    public static string Name(string? value, string field, ApiLimits limits) =>
        string.IsNullOrWhiteSpace(value)
            ? throw new WorkflowInputException($"{field} is required")
            : Text(value, field, limits.MaxNameLength, nameof(ApiLimits.MaxNameLength))!;

    /// <summary>A name shown in lists (a draft's): as <see cref="Name"/>, and only visible characters and inner spaces, as a key.</summary>
    /// <exception cref="WorkflowInputException">Blank, too long, or with a control or invisible character or a space at an end.</exception>
    public static string ShownName(string? value, string field, ApiLimits limits)
    {
        var name = Name(value, field, limits);
        return char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]) || name.Any(c => c != ' ' && Invisible(c))
            ? throw new WorkflowInputException($"{field}: a name holds only visible characters and inner spaces (no control, zero-width or other invisible character, no space at either end)")
            : name;
    }

    /// <summary>
    /// The first <paramref name="shown"/> of <paramref name="items"/> a caller sent (names, ids), each shortened and, when
    /// <paramref name="quoted"/>, in quotes, and how many more: a problem's detail names what is wrong without echoing a
    /// request of any size back. The one way every check of the API lists what it refuses.
    /// </summary>
    internal static string Few<T>(IReadOnlyCollection<T> items, int shown = FewNamed, bool quoted = false) =>
        string.Join(", ", items.Take(shown).Select(i => Shorten(Convert.ToString(i, CultureInfo.InvariantCulture) ?? "")).Select(n => quoted ? $"'{n}'" : n))
        + (items.Count > shown ? $" and {items.Count - shown} more" : "");

    private const int FewNamed = 5;

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}

/// <summary>A form's fields as the model declares them, with the bounds the API checks: <c>min</c>, <c>max</c> (numbers) and <c>maxLength</c> (texts).</summary>
internal sealed record FormRules(IReadOnlyList<FormRule> Fields)
{
    public static FormRules Read(XElement form) => new(form.Elements().Where(f => f.Name.LocalName == "field" && f.Attribute("id") is not null).Select(f => new FormRule(
        (string)f.Attribute("id")!,
        (string?)f.Attribute("label") ?? (string)f.Attribute("id")!,
        (string?)f.Attribute("type") ?? "string",
        string.Equals((string?)f.Attribute("required"), "true", StringComparison.OrdinalIgnoreCase),
        Number(f, "min"),
        Number(f, "max"),
        int.TryParse((string?)f.Attribute("maxLength"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var length) ? length : null,
        ((string?)f.Attribute("values") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))).ToList());

    private static decimal? Number(XElement field, string name) =>
        decimal.TryParse((string?)field.Attribute(name), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>
    /// Only the form's fields, each within its bounds; required fields present and each of its field's type when
    /// <paramref name="requireAll"/> (a start's input: a task's completion gets both from the engine, with every field's error at once).
    /// </summary>
    /// <exception cref="WorkflowInputException">A variable the form does not have: 400, naming them.</exception>
    /// <exception cref="TaskFormException">A field out of its bounds: 422, an error per field.</exception>
    public void Check(Dictionary<string, JsonElement>? values, string what, bool requireAll)
    {
        values ??= [];
        var known = Fields.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var unknown = values.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new WorkflowInputException($"variables.{string.Join(", variables.", unknown)}: not a field of {what} (its fields: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
        }

        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in Fields)
        {
            if (!values.TryGetValue(field.Id, out var value) || value.ValueKind is JsonValueKind.Null || (value.ValueKind == JsonValueKind.String && value.GetString() == ""))
            {
                if (requireAll && field.Required)
                {
                    errors[field.Id] = $"{field.Label} is required";
                }

                continue;
            }

            if (field.Problem(value, checkType: requireAll) is { } problem)
            {
                errors[field.Id] = $"{field.Label} {problem}";
            }
        }

        if (errors.Count > 0)
        {
            throw new TaskFormException(errors);
        }
    }
}

/// <summary>One field of a form, its type and its bounds; <paramref name="Values"/> are an enum's options.</summary>
internal sealed record FormRule(string Id, string Label, string Type, bool Required, decimal? Min, decimal? Max, int? MaxLength, IReadOnlyList<string>? Values = null)
{
    /// <summary>
    /// What is wrong with the value against this field's bounds and, when <paramref name="checkType"/>, its type: a
    /// start's input (a customer's) is type-checked only here, so that a case never starts on a number given as text; a
    /// task's completion is type-checked by the engine, with the required fields, in one answer.
    /// </summary>
    public string? Problem(JsonElement value, bool checkType)
    {
        var kind = value.ValueKind;
        var wrongType = Type switch
        {
            "number" when kind != JsonValueKind.Number => "must be a number",
            "boolean" when kind is not (JsonValueKind.True or JsonValueKind.False) => "must be true or false",
            "date" when kind != JsonValueKind.String || !DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) => "must be a date (yyyy-MM-dd)",
            "enum" when kind != JsonValueKind.String || (Values is { Count: > 0 } options && !options.Contains(value.GetString()!, StringComparer.Ordinal)) =>
                $"must be one of {string.Join(", ", Values ?? [])}",
            "string" when kind != JsonValueKind.String => "must be text",
            _ => null,
        };
        if (checkType && wrongType is not null)
        {
            return wrongType;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number))
        {
            return (Min, Max) switch
            {
                ({ } min, { } max) when number < min || number > max => $"must be from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}",
                ({ } min, null) when number < min => $"must be at least {min.ToString(CultureInfo.InvariantCulture)}",
                (null, { } max) when number > max => $"must be at most {max.ToString(CultureInfo.InvariantCulture)}",
                _ => null,
            };
        }

        return value.ValueKind == JsonValueKind.String && MaxLength is { } length && value.GetString()!.Length > length
            ? $"must be at most {length.ToString("N0", CultureInfo.InvariantCulture)} characters"
            : null;
    }
}
