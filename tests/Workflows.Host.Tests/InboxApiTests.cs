using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Workflows.Engine;

namespace Workflows.Host.Tests;

/// <summary>
/// What the inbox reads, through HTTP: a task with the case data its journey declares (and nothing else of the case),
/// its form filled from the case, the timeline in the journey's words, and the event stream of the agent's queues
/// (scoped to its branch and queues, bounded per user, with a heartbeat, on the cookie too). The escalation test moves
/// the clock a week, so it runs last.
/// </summary>
[NonParallelizable]
public sealed class InboxApiTests() : HostFixture(Backend.Sqlite)
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private protected override TimeProvider Time => _time;

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Workflows__Auth__TokenLifetime"] = "30.00:00:00",
        ["Workflows__Inbox__EventPollInterval"] = "00:00:00.100",
        ["Workflows__Inbox__EventHeartbeat"] = "00:00:00.500",
        ["Workflows__Inbox__MaxEventStreamsPerUser"] = "2",
    };

    private HttpClient LyonAgent() => Host.WithToken(("sub", "luc"), ("role", "agent"), ("branch", "lyon-01"), ("queue", "front-desk"));

    [Test, Order(1)]
    public async Task A_task_shows_the_case_data_its_journey_declares_and_its_form_filled_from_the_case_and_nothing_else()
    {
        var ann = await As("ann");
        var id = await ann.StartAsync("complaint", new { customerId = "c-data", summary = "charged twice in March", internalNote = "not for the counter" }, businessKey: "C-DATA");
        var task = await ann.TaskAsync(id, "register");

        using var response = await ann.GetAsync(new Uri($"/api/tasks/{task}/case", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        var view = JsonDocument.Parse(text).RootElement;
        var data = view.GetProperty("caseData").EnumerateArray().ToDictionary(d => d.GetProperty("variable").GetString()!, d => d);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(data["summary"].GetProperty("label").GetString(), Is.EqualTo("What the customer wrote"));
            Assert.That(data["summary"].GetProperty("value").GetString(), Is.EqualTo("charged twice in March"));
            Assert.That(data["repeatComplaint"].GetProperty("value").GetBoolean(), Is.False, "set by the journey's history check");
            Assert.That(view.GetProperty("formValues").GetProperty("summary").GetString(), Is.EqualTo("charged twice in March"), "the form is filled from the case");
            Assert.That(view.GetProperty("formValues").EnumerateObject().Select(p => p.Name), Is.SubsetOf(new[] { "category", "amount", "summary" }));
            Assert.That(view.GetProperty("step").GetString(), Is.EqualTo("Register and classify"));
            Assert.That(text, Does.Not.Contain("internalNote").And.Not.Contain("not for the counter").And.Not.Contain("branchSettings").And.Not.Contain("frontDeskAuthority"),
                "a variable neither the journey nor the form declares stays on the server");
        }
    }

    [Test, Order(2)]
    public async Task The_timeline_tells_the_case_in_the_journeys_words_without_ids_or_engine_kinds()
    {
        var ann = await As("ann");
        var id = await ann.StartAsync("complaint", new { customerId = "c-words" }, businessKey: "C-WORDS");
        var task = await ann.TaskAsync(id, "register");
        await ann.PostJsonAsync($"/api/tasks/{task}/claim", null);
        await ann.PostJsonAsync($"/api/tasks/{task}/comment", new { text = "customer called back" });
        await ann.PostJsonAsync($"/api/tasks/{task}/delegate", new { to = "omar" });

        var journey = await ann.GetJsonAsync($"/api/instances/{id}/journey");
        var texts = journey.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("text").GetString()!).ToList();
        var clocks = journey.GetProperty("clocks").EnumerateArray().Select(c => c.GetProperty("label").GetString()!).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(texts, Does.Contain("Case opened"));
            Assert.That(texts, Does.Contain("Register and classify: taken"));
            Assert.That(texts, Does.Contain("Comment on Register and classify: “customer called back”"));
            Assert.That(texts, Does.Contain("Register and classify: handed to omar"));
            Assert.That(clocks, Does.Contain("Complaint answered within 48 business hours"));
            Assert.That(texts.Concat(clocks), Has.None.Match(@"\b(register|check_history|resolve_front|task-[a-z]+|clock-[a-z]+|element-[a-z]+)\b"), "no element id or history kind");
            Assert.That(journey.TryGetProperty("variables", out _), Is.False);
        }
    }

    [Test, Order(3)]
    public async Task A_task_of_another_branch_or_no_task_at_all_is_refused_and_delegates_are_agents_of_the_tasks_branch()
    {
        var ann = await As("ann");
        var id = await ann.StartAsync("complaint", new { customerId = "c-other" });
        var task = await ann.TaskAsync(id, "register");

        using var foreign = await LyonAgent().GetAsync(new Uri($"/api/tasks/{task}/case", UriKind.Relative));
        using var foreignJourney = await LyonAgent().GetAsync(new Uri($"/api/instances/{id}/journey", UriKind.Relative));
        using var unknown = await ann.GetAsync(new Uri($"/api/tasks/{Guid.NewGuid()}/case", UriKind.Relative));
        using var customer = await (await As("carla")).GetAsync(new Uri($"/api/tasks/{task}/case", UriKind.Relative));
        var delegates = (await ann.GetJsonAsync($"/api/tasks/{task}/delegates")).EnumerateArray().Select(d => d.GetString()).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another branch's task is as an unknown one");
            Assert.That(foreignJourney.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(delegates, Does.Contain("omar").And.Not.Contain("ann").And.Not.Contain("sofia").And.Not.Contain("carla"));
        }
    }

    [Test, Order(4)]
    public async Task The_event_stream_sends_the_list_when_it_changes_and_a_heartbeat_when_it_is_quiet()
    {
        var ann = await As("ann");
        await using var stream = await EventStream.OpenAsync(ann);
        var first = await stream.NextAsync("tasks");
        var id = await ann.StartAsync("complaint", new { customerId = "c-live" }, businessKey: "C-LIVE");
        var changed = await stream.NextAsync("tasks", e => e.Data.Contains("C-LIVE", StringComparison.Ordinal));
        var heartbeat = await stream.NextAsync("heartbeat");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stream.ContentType, Is.EqualTo("text/event-stream"));
            Assert.That(first.Json.GetProperty("tasks").EnumerateArray().Any(t => t.GetProperty("businessKey").GetString() == "C-LIVE"), Is.False);
            Assert.That(changed.Json.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("businessKey").GetString() == "C-LIVE").GetProperty("instanceId").GetString(), Is.EqualTo(id));
            Assert.That(heartbeat.Data, Is.Empty);
        }
    }

    [Test, Order(5)]
    public async Task The_event_stream_is_held_to_the_callers_branch_and_queues_and_to_a_few_streams_per_user()
    {
        var ann = await As("ann");
        await ann.StartAsync("complaint", new { customerId = "c-scope" }, businessKey: "C-SCOPE");
        await using (var lyon = await EventStream.OpenAsync(LyonAgent()))
        {
            var seen = await lyon.NextAsync("tasks");
            Assert.That(seen.Json.GetProperty("tasks").GetArrayLength(), Is.Zero, "paris-01's tasks never reach a lyon-01 agent");
        }

        using var foreignQueue = await ann.GetAsync(new Uri("/api/tasks/events?queue=back-office-complaints", UriKind.Relative));
        using var customer = await (await As("carla")).GetAsync(new Uri("/api/tasks/events", UriKind.Relative));
        using var anonymous = await Host.Anonymous().GetAsync(new Uri("/api/tasks/events", UriKind.Relative));

        var omar = Host.WithToken(("sub", "omar"), ("role", "agent"), ("branch", "*"), ("queue", "back-office-complaints"));
        await using var one = await EventStream.OpenAsync(omar);
        await using var two = await EventStream.OpenAsync(omar);
        using var third = await omar.GetAsync(new Uri("/api/tasks/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var refusal = await third.Content.ReadAsStringAsync();
        await one.DisposeAsync();
        await using var again = await OpenWhenFreedAsync(omar);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(foreignQueue.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(refusal, Does.Contain("Workflows:Inbox:MaxEventStreamsPerUser"));
            Assert.That(again.ContentType, Is.EqualTo("text/event-stream"), "a closed stream frees its place");
        }
    }

    [Test, Order(6)]
    public async Task The_event_stream_works_with_the_pages_sign_in_cookie()
    {
        using var browser = Host.Factory.CreateClient();
        using (var signIn = await browser.PostAsJsonAsync("/api/auth/sign-in", new { username = "ann", password = "demo" }))
        {
            Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await using var stream = await EventStream.OpenAsync(browser);
        var first = await stream.NextAsync("tasks");

        Assert.That(first.Json.TryGetProperty("tasks", out _), Is.True);
    }

    [Test, Order(6)]
    public async Task A_stream_ends_when_its_token_is_revoked_at_sign_out()
    {
        using var signIn = await Host.Anonymous().PostAsJsonAsync("/api/auth/sign-in", new { username = "ann", password = "demo" });
        var token = (await signIn.JsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString();
        using var client = Host.Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await using var stream = await EventStream.OpenAsync(client);
        await stream.NextAsync("tasks");

        using (var signOut = await client.PostAsync(new Uri("/api/auth/sign-out", UriKind.Relative), null))
        {
            Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        var ended = await stream.NextAsync("signed-out");

        Assert.That(ended.Data, Is.EqualTo("{}"), "the stream says so and ends; the browser's reconnection is then refused");
    }

    [Test, Order(7)]
    public async Task A_breach_reaches_the_open_stream_as_an_escalation_in_words()
    {
        var ann = await As("ann");
        await ann.StartAsync("complaint", new { customerId = "c-breach" }, businessKey: "C-BREACH");
        await using var stream = await EventStream.OpenAsync(ann);
        await stream.NextAsync("tasks", e => e.Data.Contains("C-BREACH", StringComparison.Ordinal));

        _time.Advance(TimeSpan.FromDays(7));
        await Host.Factory.Services.GetRequiredService<WorkflowEngine>().Worker.FireDueClocksAsync();
        var escalation = await stream.NextAsync("escalation", e => e.Data.Contains("C-BREACH", StringComparison.Ordinal));
        var list = await stream.NextAsync("tasks");
        var task = list.Json.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("businessKey").GetString() == "C-BREACH");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(escalation.Json.GetProperty("text").GetString(), Is.EqualTo("Register and classify (C-BREACH): its time is up"));
            Assert.That(task.GetProperty("slaState").GetString(), Is.EqualTo("breached"));
            Assert.That(task.GetProperty("candidateGroups")[0].GetString(), Is.EqualTo("front-desk-supervisors"));
        }
    }

    private static async Task<EventStream> OpenWhenFreedAsync(HttpClient client)
    {
        // The server frees the place as the closed stream's request ends, which follows the client's close closely.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if ((await EventStream.TryOpenAsync(client)).Stream is { } stream)
            {
                return stream;
            }

            await Task.Delay(100);
        }

        return await EventStream.OpenAsync(client);
    }
}

/// <summary>A server-sent event stream read event by event; a comment line is the event <c>heartbeat</c>.</summary>
internal sealed class EventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    private EventStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public string? ContentType => _response.Content.Headers.ContentType?.MediaType;

    public sealed record Event(string Name, string Data)
    {
        public JsonElement Json => JsonDocument.Parse(Data).RootElement;
    }

    public static async Task<EventStream> OpenAsync(HttpClient client)
    {
        var (stream, refusal) = await TryOpenAsync(client);
        return stream ?? throw new AssertionException($"the event stream answered {refusal}");
    }

    /// <summary>The stream, or why it was refused (status and problem).</summary>
    public static async Task<(EventStream? Stream, string? Refusal)> TryOpenAsync(HttpClient client)
    {
        var response = await client.GetAsync(new Uri("/api/tasks/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            return (null, $"{(int)response.StatusCode}: {body}");
        }

        return (new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync())), null);
    }

    /// <summary>The next event of that name (and matching <paramref name="matching"/>), skipping others; fails after 30 seconds.</summary>
    public async Task<Event> NextAsync(string name, Func<Event, bool>? matching = null)
    {
        while (true)
        {
            var next = await ReadAsync();
            if (next.Name == name && (matching is null || matching(next)))
            {
                return next;
            }
        }
    }

    private async Task<Event> ReadAsync()
    {
        string? name = null;
        var data = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(_timeout.Token) ?? throw new AssertionException("the stream ended");
            if (line.Length == 0)
            {
                if (name is not null || data.Count > 0)
                {
                    return new Event(name ?? "message", string.Join('\n', data));
                }

                continue;
            }

            if (line.StartsWith(':'))
            {
                return new Event("heartbeat", "");
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line["data: ".Length..]);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        _timeout.Dispose();
        await Task.CompletedTask;
    }
}
