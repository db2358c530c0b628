using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Workflows.Engine.Model;

namespace Workflows.Engine.Forms;

/// <summary>
/// A task's form as the engine checks it: the input fields of a Camunda Form (form-js JSON, schemaVersion 4 and later)
/// or of the engine's own <c>wf:form</c>, each with the rules form-js's viewer applies in the browser, so that the
/// server refuses what the page would have refused.
/// </summary>
/// <remarks>
/// Only what a person fills in is a field: text, numbers, checkboxes, choices, dates. Display components (text, html,
/// images, spacers, buttons) are skipped; groups and dynamic lists give their <c>path</c> to the keys inside them.
/// </remarks>
internal sealed class TaskFormSchema
{
    /// <summary>The deepest nesting of groups a form may have (form-js draws a few levels; deeper is a mistake or an attack).</summary>
    public const int MaxNesting = 16;

    /// <summary>The most input fields a form may have.</summary>
    public const int MaxFields = 500;

    private static readonly HashSet<string> s_inputTypes = new(StringComparer.Ordinal)
    {
        "textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist", "datetime",
    };

    private TaskFormSchema(string? id, string json, IReadOnlyList<FormFieldRule> fields)
    {
        Id = id;
        Json = json;
        Fields = fields;
    }

    /// <summary>The form's own id (form-js's <c>id</c>), when it has one.</summary>
    public string? Id { get; }

    /// <summary>The form-js JSON the viewer renders.</summary>
    public string Json { get; }

    /// <summary>The fields a person fills in, in the form's order.</summary>
    public IReadOnlyList<FormFieldRule> Fields { get; }

    /// <summary>Reads a Camunda Form's JSON; <paramref name="problems"/> says what is wrong with it (empty: nothing).</summary>
    public static TaskFormSchema Read(string json, List<string> problems)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = MaxNesting * 4 + 8 });
        }
        catch (JsonException e)
        {
            problems.Add($"the form is not valid JSON: {e.Message}");
            return new TaskFormSchema(null, json, []);
        }

        if (root is not JsonObject form || form["components"] is not JsonArray components)
        {
            problems.Add("a Camunda Form is a JSON object with a \"components\" list");
            return new TaskFormSchema(null, json, []);
        }

        var fields = new List<FormFieldRule>();
        Collect(components, [], 0, fields, problems);
        var duplicate = fields.GroupBy(f => f.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            problems.Add($"two fields set the key '{duplicate.Key}'");
        }

        if (fields.Count > MaxFields)
        {
            problems.Add($"the form has {fields.Count:N0} fields; the limit is {MaxFields:N0}");
        }

        return new TaskFormSchema(Text(form, "id"), json, fields);
    }

    /// <summary>The engine's own <c>wf:form</c> fields as a form with the same rules.</summary>
    public static TaskFormSchema FromFields(IReadOnlyList<FormField> fields)
    {
        var rules = fields.Select(f => new FormFieldRule(f.Id, [f.Id], f.Label, f.Type switch
            {
                "number" => "number",
                "boolean" => "checkbox",
                "date" => "datetime",
                "enum" => "select",
                _ => "textfield",
            })
        {
            Required = f.Required, Min = f.Min, Max = f.Max, MinLength = f.MinLength, MaxLength = f.MaxLength, Pattern = f.Pattern,
            Options = f.Type == "enum" ? f.Values : null, DateOnly = f.Type == "date",
        }).ToList();
        return new TaskFormSchema(null, "", rules);
    }

    private static void Collect(JsonArray components, IReadOnlyList<string> path, int depth, List<FormFieldRule> fields, List<string> problems)
    {
        if (depth > MaxNesting)
        {
            problems.Add($"groups are nested more than {MaxNesting} deep");
            return;
        }

        foreach (var node in components)
        {
            if (node is not JsonObject component)
            {
                problems.Add("a component of the form is not a JSON object");
                continue;
            }

            var type = Text(component, "type") ?? "";
            if (type is "group" or "dynamiclist")
            {
                var inner = Text(component, "path") is { Length: > 0 } p ? [.. path, .. p.Split('.')] : path;
                if (type == "dynamiclist")
                {
                    // A list of rows the person adds: its fields are checked by the browser; the server takes the list as given.
                    continue;
                }

                if (component["components"] is JsonArray children)
                {
                    Collect(children, inner, depth + 1, fields, problems);
                }

                continue;
            }

            if (!s_inputTypes.Contains(type) || Text(component, "key") is not { Length: > 0 } key)
            {
                continue;
            }

            var label = Text(component, "label") is { Length: > 0 } l ? l : key;
            var validate = component["validate"] as JsonObject;
            var rule = new FormFieldRule(string.Join('.', path.Concat(key.Split('.'))), [.. path, .. key.Split('.')], label, type)
            {
                Required = validate?["required"] is JsonValue required && required.TryGetValue<bool>(out var r) && r,
                Min = Number(validate, "min", problems, key),
                Max = Number(validate, "max", problems, key),
                MinLength = Whole(validate, "minLength", problems, key),
                MaxLength = Whole(validate, "maxLength", problems, key),
                Pattern = Text(validate, "pattern") is { Length: > 0 } pattern ? pattern : null,
                ValidationType = Text(validate, "validationType"),
                Options = Options(component),
                DateOnly = type == "datetime" && (Text(component, "subtype") ?? "date") == "date",
                TimeOnly = type == "datetime" && Text(component, "subtype") == "time",
                NumberAsText = component["serializeToString"] is JsonValue s && s.TryGetValue<bool>(out var asText) && asText,
                Conditional = component["conditional"] is JsonObject,
                Disabled = Flag(component, "disabled") || Flag(component, "readonly"),
            };
            if (rule.Min is { } min && rule.Max is { } max && min > max)
            {
                problems.Add($"field '{key}': min {min.ToString(CultureInfo.InvariantCulture)} is above max {max.ToString(CultureInfo.InvariantCulture)}");
            }

            if (rule.Pattern is not null && FormValidator.Compile(rule.Pattern) is null)
            {
                problems.Add($"field '{key}': the pattern '{rule.Pattern}' is not a valid regular expression");
            }

            fields.Add(rule);
        }
    }

    private static bool Flag(JsonObject component, string name) =>
        component[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    // Static options only: options from a variable (valuesKey) or an expression are the instance's, checked in the browser.
    private static IReadOnlyList<string>? Options(JsonObject component) =>
        component["values"] is JsonArray values && component["valuesKey"] is null && component["valuesExpression"] is null
            ? values.OfType<JsonObject>().Select(v => v["value"] switch
            {
                JsonValue value when value.TryGetValue<string>(out var s) => s,
                JsonValue value => value.ToJsonString(),
                _ => null,
            }).OfType<string>().ToList()
            : null;

    private static string? Text(JsonObject? o, string name) =>
        o?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static decimal? Number(JsonObject? validate, string name, List<string> problems, string key)
    {
        switch (validate?[name])
        {
            case null:
                return null;
            case JsonValue v when v.TryGetValue<decimal>(out var d):
                return d;
            case JsonValue v when v.TryGetValue<string>(out var s) && decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            case JsonValue v when v.TryGetValue<string>(out var s) && s.Length == 0:
                return null;
            default:
                problems.Add($"field '{key}': validate.{name} is not a number");
                return null;
        }
    }

    private static int? Whole(JsonObject? validate, string name, List<string> problems, string key) =>
        Number(validate, name, problems, key) is { } d
            ? d is >= 0 and <= int.MaxValue && d == decimal.Truncate(d) ? (int)d : ProblemNull(problems, $"field '{key}': validate.{name} is not a whole number of characters")
            : null;

    private static int? ProblemNull(List<string> problems, string problem)
    {
        problems.Add(problem);
        return null;
    }
}

/// <summary>
/// One input field and its rules. <paramref name="Key"/> is the variable path it sets (dotted inside groups);
/// <paramref name="Type"/> is form-js's component type.
/// </summary>
internal sealed record FormFieldRule(string Key, IReadOnlyList<string> Path, string Label, string Type)
{
    public bool Required { get; init; }

    public decimal? Min { get; init; }

    public decimal? Max { get; init; }

    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    public string? Pattern { get; init; }

    /// <summary>form-js's <c>validationType</c>: <c>email</c> or <c>phone</c> check the text's shape.</summary>
    public string? ValidationType { get; init; }

    /// <summary>The values a choice may take; null when the options are not static (or the field is no choice).</summary>
    public IReadOnlyList<string>? Options { get; init; }

    public bool DateOnly { get; init; }

    public bool TimeOnly { get; init; }

    /// <summary>A number field whose value the viewer sends as text (form-js's <c>serializeToString</c>).</summary>
    public bool NumberAsText { get; init; }

    /// <summary>The field may be hidden by a condition: left out, it is not required.</summary>
    public bool Conditional { get; init; }

    /// <summary>Disabled or read-only: shown, not filled in, so not required.</summary>
    public bool Disabled { get; init; }
}
