using System.Text.Json;
using Workflows.Engine.Feel;

namespace Workflows.Host.Features.Api;

/// <summary>Variables across the API: JSON objects in, engine values out as JSON.</summary>
internal static class ApiJson
{
    /// <summary>The JSON object's members as engine variables (numbers become decimals, objects contexts).</summary>
    public static IReadOnlyDictionary<string, object?>? Variables(Dictionary<string, JsonElement>? json) =>
        json?.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal);

    /// <summary>Engine values (decimals, dates, contexts, lists) as one JSON object.</summary>
    public static JsonElement ToJson(IReadOnlyDictionary<string, object?> variables)
    {
        using var document = JsonDocument.Parse(FeelConvert.ToJson(FeelConvert.FromClr(variables)));
        return document.RootElement.Clone();
    }
}
