using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The words of a request the API could not read (a malformed body, a parameter of the wrong kind), as a caller who
/// never saw the server's code understands them: the field or parameter, and what it takes. ASP.NET Core and
/// System.Text.Json say it in .NET's terms (type names, "Implicit body inferred…"), which are the server's business.
/// </summary>
internal static partial class BindingProblems
{
    /// <summary>The problem's detail for a request that could not be read; null when the exception is of another kind.</summary>
    public static string? Explain(Exception exception) => exception switch
    {
        BadHttpRequestException { InnerException: JsonException json } => Json(json),
        BadHttpRequestException bad => Binding(bad.Message),
        JsonException json => Json(json),
        _ => null,
    };

    /// <summary>A route or query value that is not of its parameter's kind, in the words a binding failure gets: <c>id: 'x' is not an id (…)</c>.</summary>
    public static string NotA(string name, string value, Type type) =>
        $"{name}: '{(value.Length <= 60 ? value : value[..57] + "...")}' is not {Words((Nullable.GetUnderlyingType(type) ?? type).Name)}";

    /// <summary>Any .NET type or namespace name left in a text, put in plain words (the last guard of every problem's detail).</summary>
    public static string Plain(string text) =>
        DotNetName().Replace(GenericName().Replace(text, m => Words(m.Value)), m => Words(m.Value));

    private static string Binding(string message)
    {
        if (BindFailed().Match(message) is { Success: true } bind)
        {
            return $"{bind.Groups["name"].Value}: '{bind.Groups["value"].Value}' is not {Words(bind.Groups["type"].Value)}";
        }

        if (NotProvided().Match(message) is { Success: true } missing)
        {
            return missing.Groups["source"].Value.StartsWith("body", StringComparison.OrdinalIgnoreCase)
                ? "the request needs a JSON body"
                : $"{missing.Groups["name"].Value} is required: {Words(missing.Groups["type"].Value)}";
        }

        if (message.StartsWith("Implicit body inferred", StringComparison.Ordinal) || ReadFailed().IsMatch(message))
        {
            return "the request needs a JSON body";
        }

        if (MediaType().Match(message) is { Success: true } media)
        {
            return $"the body is read as JSON: send it with Content-Type: application/json (not '{media.Groups["type"].Value}')";
        }

        return Plain(message);
    }

    private static string Json(JsonException json)
    {
        var at = Field(json.Path);
        if (json is NulTextException nul)
        {
            return Engine.Runtime.StorableText.NulProblem(nul.Field);
        }

        // An escaped unpaired surrogate ("\ud800") in a text the reader makes a string of (a business key, a queue, a name):
        // the reader cannot, and says only that the value is not one, at the path of the text or of the object whose name it is.
        if (json.InnerException is InvalidOperationException { Message: var reading } && reading.Contains("surrogate", StringComparison.OrdinalIgnoreCase))
        {
            return Engine.Runtime.StorableText.SurrogateProblem(IsText(json) ? at : at + ": a name");
        }

        if (NotConverted().Match(json.Message) is { Success: true } converted)
        {
            return $"{at}: {Words(PropertyType(converted.Groups["type"].Value, json.Path) ?? converted.Groups["type"].Value)} is expected here";
        }

        if (Unmapped().Match(json.Message) is { Success: true } unmapped)
        {
            var parent = json.Path is { } path && path.LastIndexOf('.') is var dot and > 1 ? $" in {Field(path[..dot])}" : "";
            return $"'{unmapped.Groups["name"].Value}' is not a field this request takes{parent}: check its spelling against the API reference";
        }

        if (Duplicate().Match(json.Message) is { Success: true } duplicate)
        {
            return Twice(duplicate.Groups["name"].Success ? duplicate.Groups["name"].Value : null, json.Path);
        }

        if (MissingRequired().Match(json.Message) is { Success: true } required)
        {
            return $"the body misses {required.Groups["names"].Value.Replace("'", "", StringComparison.Ordinal)}, which {(required.Groups["names"].Value.Contains(',', StringComparison.Ordinal) ? "are" : "is")} required";
        }

        return Malformed(json);
    }

    // Whether a value the reader could not convert is a text (a list's item, a request's field of text) rather than an
    // object whose name it could not read (the body's, the variables', a variable's value).
    private static bool IsText(JsonException json) =>
        json.Path?.EndsWith(']') == true
        || (NotConverted().Match(json.Message) is { Success: true } converted && PropertyType(converted.Groups["type"].Value, json.Path) == typeof(string).FullName);

    // A name given twice in one object. The reader names it and reports the path of the object's field (a record's), or
    // reports the path of the name itself without naming it (a dictionary's: the variables), or names it and reports the
    // variable it sits in (inside a variable's own value, however deep).
    private static string Twice(string? name, string? path)
    {
        path ??= "$";
        if (name is null && LastMember().Match(path) is { Success: true } last)
        {
            name = last.Groups["quoted"].Success ? last.Groups["quoted"].Value : last.Groups["plain"].Value;
        }

        if (name is not null && (path.EndsWith("." + name, StringComparison.Ordinal) || path.EndsWith($"['{name}']", StringComparison.Ordinal)))
        {
            path = path[..^(path.EndsWith(']') ? name.Length + 4 : name.Length + 1)];
        }

        return name is null
            ? $"{Field(path)}: a field is given twice; give each field of an object once"
            : $"'{name}' is given twice in {Field(path)}: give each field of an object once (the API never picks one of two)";
    }

    // A body that is not JSON, or breaks off: where (the field being read, the line and character) and what was wrong, in
    // plain words; never the reader's own message, which speaks of tokens, depths and reader options.
    private static string Malformed(JsonException json)
    {
        var where = Position().Match(json.Message) is { Success: true } p
            ? $"at line {Number(p.Groups["line"].Value)}, character {Number(p.Groups["byte"].Value)}{(Field(p.Groups["path"].Value) is var field and not "the body" ? $" (in {field})" : "")}"
            : json.LineNumber is { } line ? $"at line {line + 1}, character {(json.BytePositionInLine ?? 0) + 1}{(Field(json.Path) is var f and not "the body" ? $" (in {f})" : "")}" : "";
        var what = json.Message switch
        {
            var m when m.Contains("maximum configured depth", StringComparison.Ordinal) || m.Contains("maximum allowed depth", StringComparison.Ordinal)
                => $"it nests objects and arrays deeper than {ApiJson.MaxBodyDepth} levels, the most the API reads (a variable may nest at most Workflows:Engine:Limits:MaxVariableDepth levels, 128 by default)",
            var m when StartOfValue().Match(m) is { Success: true } start => start.Groups["c"].Value is "<"
                ? "it reads '<', as in XML or HTML, where a JSON value starts; send JSON"
                : $"'{start.Groups["c"].Value}' cannot start a value (text goes in double quotes; true, false and null in lower case)",
            var m when AfterValue().Match(m) is { Success: true } after => $"'{after.Groups["c"].Value}' follows a value where a comma or a closing bracket was expected",
            var m when AfterName().Match(m) is { Success: true } name => $"'{name.Groups["c"].Value}' follows a field's name where ':' was expected",
            var m when m.Contains("within a JSON string", StringComparison.Ordinal) => "a string holds a character that must be escaped (a line break as \\n, a quote as \\\")",
            var m when m.Contains("does not contain any JSON tokens", StringComparison.Ordinal) => "the body is empty; send a JSON object",
            var m when m.Contains("Expected depth to be zero", StringComparison.Ordinal) || m.Contains("end of data", StringComparison.OrdinalIgnoreCase)
                || m.Contains("Expected end of string", StringComparison.Ordinal) => "the body ends before its JSON does: close every string, object and array",
            _ => "the body is not valid JSON",
        };
        return $"the body could not be read as JSON {where}: {what}".Replace(" :", ":", StringComparison.Ordinal);
    }

    // A JSON path as the caller wrote the field: variables[0].values, or the body itself.
    private static string Field(string? path) =>
        path is null or "$" or "" ? "the body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    private static string Number(string zeroBased) => int.TryParse(zeroBased, System.Globalization.CultureInfo.InvariantCulture, out var n) ? (n + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : zeroBased;

    /// <summary>What a value of a .NET type is, in the API's words.</summary>
    private static string Words(string type)
    {
        var name = NullableOf().Match(type) is { Success: true } nullable ? nullable.Groups["inner"].Value : type.TrimEnd('?');
        var simple = name.Split('[', '<')[0];
        simple = simple[(simple.LastIndexOf('.') + 1)..].Split('`')[0];
        return simple switch
        {
            "int" or "long" or "short" or "Int32" or "Int64" or "Int16" or "UInt32" or "UInt64" or "byte" or "Byte" => "a whole number",
            "double" or "decimal" or "float" or "Double" or "Decimal" or "Single" => "a number",
            "bool" or "Boolean" => "true or false",
            "string" or "String" or "char" or "Char" => "a string",
            "Guid" => "an id (a GUID such as 0193a0e4-7d2c-7c4e-9f1a-2b3c4d5e6f70)",
            "DateTimeOffset" or "DateTime" => "an instant (ISO 8601, such as 2026-12-03T09:00:00Z)",
            "DateOnly" => "a date (such as 2026-12-03)",
            "TimeSpan" => "a duration",
            "List" or "IList" or "IReadOnlyList" or "IEnumerable" or "ICollection" or "IReadOnlyCollection" or "HashSet" => "an array",
            "Dictionary" or "IDictionary" or "IReadOnlyDictionary" => "an object",
            "JsonElement" or "Object" or "object" => "a JSON value",
            _ when name.EndsWith("[]", StringComparison.Ordinal) => "an array",
            _ when EnumNamed(name) is { } values => $"one of {values}",
            _ => "an object",
        };
    }

    // An enum of the product's (a batch's kind, an instance's state), by the full name the serializer gave.
    private static string? EnumNamed(string fullName) =>
        Find(fullName) is { IsEnum: true } type ? string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName)) : null;

    private static Type? Find(string fullName) =>
        typeof(Engine.BatchKind).Assembly.GetType(fullName) ?? typeof(BindingProblems).Assembly.GetType(fullName);

    // A value read through a record's constructor is reported against the record, not its property: the path's last
    // member names the property whose type the value missed.
    private static string? PropertyType(string fullName, string? path)
    {
        var member = path?.Split('.')[^1];
        if (Find(fullName) is not { IsEnum: false } type || member is null || member.Contains('[', StringComparison.Ordinal))
        {
            return null;
        }

        var property = type.GetProperty(member, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
        return property is null ? null : Nullable.GetUnderlyingType(property.PropertyType)?.FullName ?? property.PropertyType.FullName;
    }

    [GeneratedRegex("^Failed to bind parameter \"(?<type>.+) (?<name>[^ \"]+)\" from \"(?<value>.*)\"\\.$", RegexOptions.Singleline)]
    private static partial Regex BindFailed();

    [GeneratedRegex("^Required parameter \"(?<type>.+) (?<name>[^ \"]+)\" was not provided from (?<source>[^.]+)\\.", RegexOptions.Singleline)]
    private static partial Regex NotProvided();

    [GeneratedRegex("^Failed to read parameter \".+\" from the request body", RegexOptions.Singleline)]
    private static partial Regex ReadFailed();

    [GeneratedRegex("^Expected a supported JSON media type but got \"(?<type>[^\"]*)\"", RegexOptions.Singleline)]
    private static partial Regex MediaType();

    [GeneratedRegex("could not be converted to (?<type>\\S+?)\\.(?: Path:|$)", RegexOptions.Singleline)]
    private static partial Regex NotConverted();

    [GeneratedRegex("(?:\\.(?<plain>[^.\\[\\]']+)|\\['(?<quoted>.*)'\\])$")]
    private static partial Regex LastMember();

    [GeneratedRegex("^Duplicate propert(?:y '(?<name>.*?)' encountered|ies not allowed)", RegexOptions.Singleline)]
    private static partial Regex Duplicate();

    [GeneratedRegex("was missing required properties,? including: (?<names>.+?)\\.?$", RegexOptions.Singleline)]
    private static partial Regex MissingRequired();

    [GeneratedRegex("^The JSON property '(?<name>.*)' could not be mapped to any \\.NET member", RegexOptions.Singleline)]
    private static partial Regex Unmapped();

    [GeneratedRegex(" ?Path: (?<path>\\S*) \\| LineNumber: (?<line>\\d+) \\| BytePositionInLine: (?<byte>\\d+)\\.?")]
    private static partial Regex Position();

    [GeneratedRegex("^'(?<c>.+?)' is an invalid start of a (?:value|property name)", RegexOptions.Singleline)]
    private static partial Regex StartOfValue();

    [GeneratedRegex("^'(?<c>.+?)' is invalid after a value", RegexOptions.Singleline)]
    private static partial Regex AfterValue();

    [GeneratedRegex("^'(?<c>.+?)' is invalid after a property name", RegexOptions.Singleline)]
    private static partial Regex AfterName();

    [GeneratedRegex("^(?:System\\.)?Nullable(?:`1\\[\\[|<)(?<inner>[^,\\]>]+)")]
    private static partial Regex NullableOf();

    [GeneratedRegex("\\bNullable<[^>]*>|\\b(?:System|Microsoft|Workflows)\\.[A-Za-z0-9_.`]+(?:\\[[^\\]]*\\]+)?")]
    private static partial Regex DotNetName();

    [GeneratedRegex("\\b[A-Z][A-Za-z]+`\\d(?:\\[[^\\]]*\\]+)?")]
    private static partial Regex GenericName();
}
