using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Workflows.Bench.Http;

/// <summary>
/// The driver's side of the HTTP API, one shared connection pool for every simulated user (as many connections as
/// concurrent requests): complaint starts by a front-desk agent, next-task and completion by agents, and the task
/// lists of a supervisor and of a queue. Each call answers its status and, where the driver needs it, the body.
/// </summary>
internal sealed class LoadClient : IDisposable
{
    public const string Branch = "paris-01";

    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private readonly HttpClient _http;
    private readonly string _key;
    private long _customers;

    public LoadClient(Uri url, string signingKey)
    {
        _key = signingKey;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
        })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromMinutes(2),
        };
        Starter = Machine.Token(_key, "load-starter", "agent", Branch, "front-desk");
        Supervisor = Machine.Token(_key, "load-supervisor", "supervisor", Branch);
    }

    /// <summary>The front-desk agent who registers the complaints (agents start journeys for their branch).</summary>
    public string Starter { get; }

    /// <summary>The branch's supervisor, who reads every open task of the branch.</summary>
    public string Supervisor { get; }

    /// <summary>The token of agent <paramref name="number"/>: the front desk and customer care, where the complaint's tasks wait.</summary>
    public string Agent(int number) => Machine.Token(_key, $"load-agent-{number:D2}", "agent", Branch, "front-desk", "customer-care");

    /// <summary>Starts a complaint for a customer of its own (an earlier complaint would route it to the back office).</summary>
    public async Task<Answer> StartComplaintAsync()
    {
        var customer = Interlocked.Increment(ref _customers);
        var body = Machine.Invariant($$$"""{"journey":"complaint","branch":"{{{Branch}}}","variables":{"customerId":"load-{{{customer}}}","summary":"charged twice"}}""");
        return await SendAsync(HttpMethod.Post, "api/instances", Starter, body, HttpStatusCode.Created, keepBody: false);
    }

    /// <summary>Claims the agent's most urgent task: 200 with the task, 204 when there is none.</summary>
    public Task<Answer> NextAsync(string agent) => SendAsync(HttpMethod.Post, "api/tasks/next", agent, "{}", HttpStatusCode.OK, keepBody: true);

    /// <summary>Completes the task with the values its form asks for (the complaint's front-desk path within the authority).</summary>
    public Task<Answer> CompleteAsync(string agent, Guid task, string elementId) =>
        SendAsync(HttpMethod.Post, $"api/tasks/{task}/complete", agent, FormValues(elementId), HttpStatusCode.NoContent, keepBody: false);

    public Task<Answer> GetAsync(string token, string path, bool keepBody = false) => SendAsync(HttpMethod.Get, path, token, null, HttpStatusCode.OK, keepBody);

    /// <summary>
    /// The form values of each step of the complaint an agent of the front desk and customer care works; a step the
    /// driver does not know is completed without values (and refused if its form requires some: counted as an error).
    /// </summary>
    public static string FormValues(string elementId) => elementId switch
    {
        "register" => """{"variables":{"category":"billing","amount":50,"summary":"charged twice"}}""",
        "resolve_front" => """{"variables":{"resolution":"refunded the second charge","refund":50}}""",
        "respond" => """{"variables":{"response":"refund on the next bill"}}""",
        "survey" => """{"variables":{"score":4}}""",
        _ => "{}",
    };

    /// <summary>
    /// The engine's commands so far by name and outcome (<c>workflows.commands</c> at <c>/metrics</c>): how many claims
    /// an agent phase lost to another agent (outcome <c>failed</c>) or to the row version (<c>conflict</c>).
    /// </summary>
    public async Task<Dictionary<string, double>> CommandCountsAsync()
    {
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in await ScrapeAsync())
        {
            var match = System.Text.RegularExpressions.Regex.Match(line, "^workflows_commands_total\\{(?<labels>[^}]*)\\} (?<count>[0-9.e+]+)");
            if (match.Success)
            {
                var labels = System.Text.RegularExpressions.Regex.Matches(match.Groups["labels"].Value, "(command|outcome)=\"([^\"]*)\"").Select(m => m.Groups[2].Value);
                var key = string.Join(' ', labels);
                counts[key] = counts.GetValueOrDefault(key) + double.Parse(match.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return counts;
    }

    /// <summary>
    /// The host's runtime so far (its <c>System.Runtime</c> meter at <c>/metrics</c>): bytes allocated, collections of
    /// each generation and the time the collector paused the process; null when the host does not export them.
    /// </summary>
    public async Task<RuntimeCounts?> RuntimeCountsAsync()
    {
        double? allocated = null, pause = null;
        var collections = new double[3];
        foreach (var line in await ScrapeAsync())
        {
            var match = System.Text.RegularExpressions.Regex.Match(line, "^(?<name>dotnet_gc_[a-z_]+)(\\{(?<labels>[^}]*)\\})? (?<value>[0-9.e+]+)");
            if (!match.Success)
            {
                continue;
            }

            var value = double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            switch (match.Groups["name"].Value)
            {
                case "dotnet_gc_heap_total_allocated_bytes_total":
                    allocated = value;
                    break;
                case "dotnet_gc_pause_time_seconds_total":
                    pause = value;
                    break;
                case "dotnet_gc_collections_total" when System.Text.RegularExpressions.Regex.Match(match.Groups["labels"].Value, "gen([0-2])") is { Success: true } generation:
                    collections[generation.Groups[1].Value[0] - '0'] += value;
                    break;
            }
        }

        return allocated is { } bytes ? new RuntimeCounts(bytes, collections, pause ?? 0) : null;
    }

    public void Dispose() => _http.Dispose();

    private async Task<string[]> ScrapeAsync()
    {
        // The exporter keeps a scrape for a moment: wait it out so that the counts are the phase's last.
        await Task.Delay(1_500);
        using var response = await _http.GetAsync(new Uri("metrics", UriKind.Relative));
        return (await response.Content.ReadAsStringAsync()).Split('\n');
    }

    private async Task<Answer> SendAsync(HttpMethod method, string path, string token, string? body, HttpStatusCode expected, bool keepBody)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, s_json.MediaType!);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            var text = keepBody || response.StatusCode != expected ? await response.Content.ReadAsStringAsync() : null;
            return new Answer(response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds, text);
        }
        catch (HttpRequestException e)
        {
            return new Answer(0, Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.Message);
        }
    }
}

/// <summary>A request's status (0: no answer), its latency as the client saw it, and its body when kept.</summary>
internal readonly record struct Answer(HttpStatusCode Status, double Milliseconds, string? Body)
{
    public JsonElement Json() => JsonDocument.Parse(Body!).RootElement.Clone();
}

/// <summary>The host's runtime counters at one moment: bytes allocated, collections by generation (0, 1, 2), seconds paused by the collector.</summary>
internal sealed record RuntimeCounts(double Allocated, double[] Collections, double PauseSeconds)
{
    /// <summary>What happened between <paramref name="before"/> and this, per step.</summary>
    public string PerStep(RuntimeCounts before, long steps) => steps <= 0 ? "no step" : Machine.Invariant(
        $"allocated {(Allocated - before.Allocated) / steps / 1024:N1} KB, collections gen0/1/2 {Collections[0] - before.Collections[0]:N0}/{Collections[1] - before.Collections[1]:N0}/{Collections[2] - before.Collections[2]:N0} ({(Collections[0] - before.Collections[0]) * 1000 / steps:N2} gen0 per 1,000), paused {(PauseSeconds - before.PauseSeconds) * 1e6 / steps:N1} µs");
}
