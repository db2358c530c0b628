using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Workflows.Engine.Feel;

namespace Workflows.Host.Features.Api;

/// <summary>Variables across the API: JSON objects in, engine values out as JSON.</summary>
internal static class ApiJson
{
    /// <summary>
    /// How deep a request body may nest: room for a variable as deep as the engine accepts
    /// (<c>Workflows:Engine:Limits:MaxVariableDepth</c>, 128) inside the request's own objects, so that a deeper
    /// variable is refused by name; a body deeper than this is refused as such (BindingProblems).
    /// </summary>
    public const int MaxBodyDepth = 256;

    // Variables the engine hands out are read as deep as it stores them.
    private static readonly JsonDocumentOptions s_stored = new() { MaxDepth = Engine.ExecutionLimits.MaxStoredJsonDepth };

    /// <summary>The JSON object's members as engine variables (numbers become decimals, objects contexts).</summary>
    public static IReadOnlyDictionary<string, object?>? Variables(Dictionary<string, JsonElement>? json) =>
        json?.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal);

    /// <summary>JSON the engine stored (a variable, a recorded evaluation), read to the depth it stores, not the reader's default 64.</summary>
    public static JsonElement ReadStored(string json)
    {
        using var document = JsonDocument.Parse(json, s_stored);
        return document.RootElement.Clone();
    }

    /// <summary>Engine values (decimals, dates, contexts, lists) as one JSON object.</summary>
    public static JsonElement ToJson(IReadOnlyDictionary<string, object?> variables) => ReadStored(FeelConvert.ToJson(FeelConvert.FromClr(variables)));

    /// <summary>
    /// Every text of a request body that the API may store (a business key, a name, a comment, a reason, a list's items)
    /// holds no NUL character: PostgreSQL's <c>text</c> refuses one with a driver error (a 500), and SQLite keeps it for
    /// tools to cut the text at. Refused once the request's object is read, on every store alike, naming the field.
    /// </summary>
    /// <remarks>
    /// Checked after the object is read rather than by a converter for strings: the OpenAPI document describes a value
    /// with a converter of its own as anything (every string field would lose its type). Variables are JSON elements, not
    /// strings: the engine refuses theirs, naming the variable.
    /// </remarks>
    public static void RefuseNulTexts(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object || typeInfo.Type.Assembly != typeof(ApiJson).Assembly)
        {
            return;
        }

        var texts = typeInfo.Properties.Where(p => p.Get is not null && (p.PropertyType == typeof(string) || typeof(IEnumerable<string>).IsAssignableFrom(p.PropertyType))).ToArray();
        if (texts.Length == 0)
        {
            return;
        }

        var before = typeInfo.OnDeserialized;
        typeInfo.OnDeserialized = value =>
        {
            before?.Invoke(value);
            foreach (var property in texts)
            {
                if (FirstNul(property.Get!(value)) is { } at)
                {
                    throw new NulTextException(property.Name + at);
                }
            }
        };
    }

    // "" for a text that holds a NUL, "[i]" for a list's item that does, null when none does.
    private static string? FirstNul(object? value)
    {
        if (value is string text)
        {
            return text.Contains('\0', StringComparison.Ordinal) ? "" : null;
        }

        var i = 0;
        foreach (var item in value as IEnumerable<string?> ?? [])
        {
            if (item?.Contains('\0', StringComparison.Ordinal) == true)
            {
                return $"[{i}]";
            }

            i++;
        }

        return null;
    }

    /// <summary>
    /// A request's property of a value type that cannot be null (a batch's kind, a pinned version) is required: left out,
    /// the reader would take its default (the first kind, version 0) as if the caller had said it. Nullable ones stay
    /// optional, and reference types the handlers refuse missing themselves, naming the field.
    /// </summary>
    public static void RequireValueParameters(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object || typeInfo.Type.Assembly != typeof(ApiJson).Assembly)
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            if (property.AssociatedParameter is { HasDefaultValue: false } && property.PropertyType.IsValueType
                && Nullable.GetUnderlyingType(property.PropertyType) is null && property.PropertyType != typeof(JsonElement))
            {
                property.IsRequired = true;
            }
        }
    }
}

/// <summary>A text of the body holds a NUL character: <see cref="Field"/> names it within its object (<c>businessKey</c>, <c>queues[0]</c>).</summary>
internal sealed class NulTextException(string field) : JsonException(Engine.Runtime.StorableText.NulProblem(field))
{
    public string Field { get; } = field;
}
