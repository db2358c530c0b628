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

    /// <summary>
    /// The most fields with a <c>validate.pattern</c> a form may have: each is a regular expression run on what a person
    /// sends, within one budget per request (<see cref="FormValidator.PatternBudget"/>).
    /// </summary>
    public const int MaxPatternFields = 50;

    private static readonly HashSet<string> s_inputTypes = new(StringComparer.Ordinal)
    {
        "textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist", "datetime",
    };

    // Components form-js 1.23's editor offers that submit a value under their key, which the server does not take as a
    // field a person fills in: a completion carrying it would be refused every time, so the form is refused at deploy.
    private static readonly Dictionary<string, string> s_unsupportedInputs = new(StringComparer.Ordinal)
    {
        ["expression"] = "computes a value form-js sends with the form, which a completion may not set: show the computed value with a text component ({{ }} in its text) instead",
        ["filepicker"] = "sends the picked files, which the engine does not take: remove it",
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

    /// <summary>The paths of the form's dynamic lists (each list's rows are sent as one value under its path).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Lists { get; private init; } = [];

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
        var claims = new PathClaims();
        Collect(components, [], 0, fields, claims, problems);
        var duplicate = fields.GroupBy(f => f.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            problems.Add($"two fields set the key '{duplicate.Key}'");
        }

        problems.AddRange(claims.Collisions.Where(c => duplicate is null || c != duplicate.Key).Select(c => $"'{c}' is bound twice: a field's key and another field's key or a group's path overlap (form-js refuses to show the form)"));
        if (fields.Count > MaxFields)
        {
            problems.Add($"the form has {fields.Count:N0} fields; the limit is {MaxFields:N0}");
        }

        if (fields.Count(f => f.Pattern is not null) is var patterned and > MaxPatternFields)
        {
            problems.Add($"the form has {patterned:N0} fields with a pattern; the limit is {MaxPatternFields:N0}");
        }

        return new TaskFormSchema(Text(form, "id"), json, fields) { Lists = claims.Lists };
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

    private static void Collect(JsonArray components, IReadOnlyList<string> path, int depth, List<FormFieldRule> fields, PathClaims claims, List<string> problems)
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
            if (DisplayContent(component, type) is { } content && FormContent.Problem(content) is { } active)
            {
                problems.Add($"the {type} component{(Text(component, "id") is { } componentId ? $" '{componentId}'" : "")} holds {active}: a form shows text, images and links only");
            }

            if (Unshowable(component, type) is { } unshowable)
            {
                problems.Add(unshowable);
            }

            if (type is "group" or "dynamiclist")
            {
                var own = Text(component, "path") is { Length: > 0 } p ? p : null;
                if (own is not null && FormKeys.Problem(own) is { } pathProblem)
                {
                    // Reported, and read on: a task that kept such a form before this check still gets its fields checked.
                    problems.Add($"the {type} path '{own}' {pathProblem}");
                }

                var inner = own is null ? path : [.. path, .. own.Split('.')];
                if (type == "dynamiclist")
                {
                    // A list of rows the person adds: its fields are checked by the browser; the server takes the list as given.
                    // Its path is the list's alone: no other field binds into it.
                    if (own is not null)
                    {
                        claims.Claim(inner, closed: true);
                        claims.Lists.Add(inner);
                    }

                    continue;
                }

                if (own is not null)
                {
                    claims.Claim(inner, closed: false);
                }

                if (component["components"] is JsonArray children)
                {
                    Collect(children, inner, depth + 1, fields, claims, problems);
                }

                continue;
            }

            if (s_unsupportedInputs.TryGetValue(type, out var unsupported) && Text(component, "key") is { Length: > 0 } sent && !Flag(component, "disabled"))
            {
                problems.Add($"the {type} component '{sent}' {unsupported}");
                continue;
            }

            if (!s_inputTypes.Contains(type) || Text(component, "key") is not { Length: > 0 } key)
            {
                continue;
            }

            if (FormKeys.Problem(key) is { } keyProblem)
            {
                problems.Add($"field '{key}': the key {keyProblem}");
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
                DecimalDigits = type == "number" ? Whole(component, "decimalDigits", problems, key) : null,
                Increment = type == "number" ? Number(component, "increment", problems, key) : null,
                UncheckedIsEmpty = type == "checkbox",
                Conditional = component["conditional"] is JsonObject,
                Disabled = Flag(component, "disabled") || Flag(component, "readonly"),
                Submitted = !Flag(component, "disabled"),
            };
            if (rule.Min is { } min && rule.Max is { } max && min > max)
            {
                problems.Add($"field '{key}': min {min.ToString(CultureInfo.InvariantCulture)} is above max {max.ToString(CultureInfo.InvariantCulture)}");
            }

            if (rule.Increment is <= 0)
            {
                problems.Add($"field '{key}': increment {rule.Increment.Value.ToString(CultureInfo.InvariantCulture)} is not above 0");
            }

            if (rule.Pattern is not null && FormValidator.Compile(rule.Pattern) is null)
            {
                problems.Add($"field '{key}': the pattern '{rule.Pattern}' is not a valid regular expression");
            }

            claims.Claim(rule.Path, closed: true);
            fields.Add(rule);
        }
    }

    // The markup a display component shows: html's content, text's markdown (which may hold HTML).
    private static string? DisplayContent(JsonObject component, string type) => type switch
    {
        "html" => Text(component, "content"),
        "text" => Text(component, "text"),
        _ => null,
    };

    // What the pages' content security policy (images from the host and data: only, no frames) would show as a broken box
    // with a console error. An image whose source is FEEL (=...) is the instance's to decide.
    private static string? Unshowable(JsonObject component, string type)
    {
        var name = Text(component, "id") is { } id ? $" '{id}'" : "";
        if (type == "iframe")
        {
            return $"the iframe component{name} shows another site's page, which the pages do not frame: link to it from a text component instead";
        }

        return type == "image" && Text(component, "source") is { } source && !source.StartsWith('=')
            && (source.Contains("//", StringComparison.Ordinal) || source.Contains(':', StringComparison.Ordinal)) && !source.StartsWith("data:image/", StringComparison.OrdinalIgnoreCase)
            ? $"the image component{name} loads '{source}', which the pages do not load (images from the host or data:image addresses only)"
            : null;
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
                problems.Add($"field '{key}': {Property(validate, name)} is not a number");
                return null;
        }
    }

    private static int? Whole(JsonObject? validate, string name, List<string> problems, string key) =>
        Number(validate, name, problems, key) is { } d
            ? d is >= 0 and <= int.MaxValue && d == decimal.Truncate(d) ? (int)d : ProblemNull(problems, $"field '{key}': {Property(validate, name)} is not a whole number{(name == "decimalDigits" ? "" : " of characters")}")
            : null;

    // validate.minLength, or a property of the component itself (decimalDigits, increment).
    private static string Property(JsonObject? owner, string name) => owner?.Parent is JsonObject ? $"validate.{name}" : name;

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

    /// <summary>form-js's <c>decimalDigits</c> of a number field: the most digits after the point (0: a whole number).</summary>
    public int? DecimalDigits { get; init; }

    /// <summary>form-js's <c>increment</c> of a number field: a value must be a multiple of it.</summary>
    public decimal? Increment { get; init; }

    /// <summary>
    /// A Camunda Form's checkbox: form-js takes one left unchecked as empty, so a required one must be ticked. A
    /// <c>wf:form</c> boolean is a yes/no answer, where a required one may be answered no.
    /// </summary>
    public bool UncheckedIsEmpty { get; init; }

    /// <summary>The field may be hidden by a condition: left out, it is not required.</summary>
    public bool Conditional { get; init; }

    /// <summary>Disabled or read-only: shown, not filled in, so not required.</summary>
    public bool Disabled { get; init; }

    /// <summary>Whether form-js's submit sends the field's value: every field but a disabled one.</summary>
    public bool Submitted { get; init; } = true;
}

/// <summary>
/// The variable paths a form's components bind, as form-js's viewer claims them when it imports a form: a field's key
/// (and a dynamic list's path) is closed, nothing else binds at or under it; a group's path is open, shared by the groups
/// and fields under it. A claim form-js would refuse ("binding path is already claimed") is a collision.
/// </summary>
internal sealed class PathClaims
{
    private readonly Node _root = new();

    /// <summary>The dynamic lists' paths, in the form's order.</summary>
    public List<IReadOnlyList<string>> Lists { get; } = [];

    /// <summary>The paths claimed twice, dotted, in the form's order.</summary>
    public List<string> Collisions { get; } = [];

    public void Claim(IReadOnlyList<string> path, bool closed)
    {
        var node = _root;
        var created = false;
        foreach (var segment in path)
        {
            if (node.Children.TryGetValue(segment, out var next))
            {
                if (next.Closed)
                {
                    // Through or onto a field's key: nothing binds under a field.
                    Collisions.Add(string.Join('.', path));
                    return;
                }
            }
            else
            {
                next = node.Children[segment] = new Node();
                created = true;
            }

            node = next;
        }

        if (closed && !created)
        {
            // A field's key landing where a group's path or another field's path already is.
            Collisions.Add(string.Join('.', path));
            return;
        }

        node.Closed |= closed;
    }

    private sealed class Node
    {
        public Dictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);

        public bool Closed { get; set; }
    }
}
