using System.Net;
using System.Text;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// Every operation of the OpenAPI document called with wrong input, by a token holding every staff role in every
/// branch: unknown and malformed path ids, each query parameter with a value of the wrong kind, and bodies that are
/// malformed, of the wrong shape, of the wrong media type, or with each property of the wrong kind.
/// </summary>
internal static class OperationSweep
{
    /// <summary>Operations the sweep leaves alone: anyone's (sign-in) and the event stream, which answers by not ending.</summary>
    private static readonly string[] s_skipped = ["SignIn", "SignOut", "Antiforgery", "TaskEvents"];

    internal sealed record Answer(string Operation, string Method, string Url, string? Body, HttpStatusCode Status, string Text, IReadOnlySet<string> Documented)
    {
        public override string ToString() => $"{Operation}: {Method} {Url} {Body} -> {(int)Status} {Text}";
    }

    public static HttpClient Everyone(TestHost host) => host.WithToken(("sub", "sweeper"), ("role", "analyst"), ("role", "branch-admin"), ("role", "agent"),
        ("role", "supervisor"), ("role", "operator"), ("role", "worker"), ("branch", "*"), ("queue", "front-desk"));

    public static async Task<JsonElement> DocumentAsync(TestHost host) =>
        JsonDocument.Parse(await host.Anonymous().GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).RootElement.Clone();

    public static async Task<IReadOnlyList<Answer>> RunAsync(TestHost host)
    {
        var document = await DocumentAsync(host);
        var client = Everyone(host);
        var answers = new List<Answer>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject().Where(m => m.Name is "get" or "post" or "put" or "delete" or "patch"))
            {
                var operation = method.Value;
                var name = operation.TryGetProperty("operationId", out var id) ? id.GetString()! : $"{method.Name} {path.Name}";
                if (s_skipped.Contains(name))
                {
                    continue;
                }

                var documented = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
                var parameters = operation.TryGetProperty("parameters", out var p) ? p.EnumerateArray().ToList() : [];
                string Url(Func<JsonElement, string> pathValue, string query = "") =>
                    parameters.Where(x => x.GetProperty("in").GetString() == "path")
                        .Aggregate(path.Name, (url, x) => url.Replace("{" + x.GetProperty("name").GetString() + "}", Uri.EscapeDataString(pathValue(x)), StringComparison.Ordinal)) + query;
                static bool IsId(JsonElement parameter) => parameter.GetProperty("schema").TryGetProperty("format", out var f) && f.GetString() == "uuid";
                string Plausible(JsonElement x) => IsId(x) ? Guid.NewGuid().ToString() : "no-such-" + x.GetProperty("name").GetString();

                var schema = Body(document, operation);
                var calls = new List<(string Url, string? Body, string MediaType)>
                {
                    (Url(Plausible), schema is null ? null : "{", "application/json"),
                    (Url(x => IsId(x) ? "not-an-id" : "no-such-x"), schema is null ? null : "[]", "application/json"),
                };
                foreach (var query in parameters.Where(x => x.GetProperty("in").GetString() == "query" && !x.GetProperty("name").GetString()!.StartsWith("var.", StringComparison.Ordinal)))
                {
                    calls.Add((Url(Plausible, $"?{query.GetProperty("name").GetString()}=not%20a%20value"), schema is null ? null : "{}", "application/json"));
                }

                if (schema is { } body)
                {
                    calls.Add((Url(Plausible), "", "application/json"));
                    calls.Add((Url(Plausible), "{\"a\":1}", "text/plain"));
                    calls.Add((Url(Plausible), "{\"x\": [1, }", "application/json"));
                    var properties = body.TryGetProperty("properties", out var props) ? props.EnumerateObject().ToList() : [];
                    foreach (var property in properties)
                    {
                        calls.Add((Url(Plausible), $"{{\"{property.Name}\":{Wrong(document, property.Value)}}}", "application/json"));
                    }

                    calls.Add((Url(Plausible), "{" + string.Join(",", properties.Select(x => $"\"{x.Name}\":{Wrong(document, x.Value)}")) + "}", "application/json"));
                }

                foreach (var (url, content, mediaType) in calls)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method.Name.ToUpperInvariant()), new Uri(url, UriKind.Relative));
                    if (content is not null)
                    {
                        request.Content = new StringContent(content, Encoding.UTF8, mediaType);
                    }

                    using var response = await client.SendAsync(request);
                    answers.Add(new Answer(name, method.Name.ToUpperInvariant(), url, content, response.StatusCode, await response.Content.ReadAsStringAsync(), documented));
                }
            }
        }

        return answers;
    }

    private static JsonElement? Body(JsonElement document, JsonElement operation) =>
        operation.TryGetProperty("requestBody", out var body) && body.GetProperty("content").TryGetProperty("application/json", out var json) && json.TryGetProperty("schema", out var schema)
            ? Resolve(document, schema)
            : null;

    private static JsonElement Resolve(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

    // A value a property of this schema cannot take: text for what is not text, an object for text.
    private static string Wrong(JsonElement document, JsonElement property)
    {
        var schema = Resolve(document, property);
        var types = schema.TryGetProperty("type", out var t) ? (t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()).ToList() : [t.GetString()]) : [];
        return types.Contains("string") && !schema.TryGetProperty("format", out _) && !schema.TryGetProperty("enum", out _) ? "{\"nested\":[1]}" : "\"wrong kind\"";
    }
}
