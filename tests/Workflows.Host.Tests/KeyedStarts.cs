using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>Starts sent with an <c>Idempotency-Key</c>, and what the store holds of them, for the tests of keyed retries.</summary>
internal static class KeyedStarts
{
    /// <summary>A complaint of paris-01 with its own business key, so a test counts exactly the cases its starts made.</summary>
    public static object Complaint(string businessKey) =>
        new { journey = "complaint", branch = "paris-01", businessKey, variables = new { customerId = "c-1", summary = "charged twice" } };

    /// <summary>Sends a start with the key (an sf-string).</summary>
    public static async Task<HttpResponseMessage> StartAsync(this HttpClient client, object body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/instances", UriKind.Relative)) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"\"{key}\"");
        return await client.SendAsync(request);
    }

    /// <summary>Whether the answer repeats a first start's (<c>Idempotent-Replayed: true</c>).</summary>
    public static bool Replayed(this HttpResponseMessage response) =>
        response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");

    /// <summary>The case id a 201 answers.</summary>
    public static async Task<string> StartedIdAsync(this HttpResponseMessage response) =>
        (await response.JsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;

    /// <summary>The ids of the cases with <paramref name="businessKey"/>, as a supervisor of paris-01 lists them.</summary>
    public static async Task<List<string>> CasesAsync(this HttpClient supervisor, string businessKey) =>
        (await supervisor.GetJsonAsync($"/api/instances?businessKey={businessKey}")).EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();

    /// <summary>The problem's title and detail.</summary>
    public static async Task<(string Title, string Detail)> ProblemOfAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await response.JsonAsync(expected);
        return (problem.GetProperty("title").GetString()!, problem.GetProperty("detail").GetString()!);
    }

    /// <summary>Sends a retry until it is not a 503 (the store's dead connections are dropped as they are met), at most a few times.</summary>
    public static async Task<HttpResponseMessage> RetryUntilAnsweredAsync(this HttpClient client, object body, string key)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await client.StartAsync(body, key);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 5)
            {
                return response;
            }

            response.Dispose();
        }
    }
}
