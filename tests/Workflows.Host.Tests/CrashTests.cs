using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The host as its own process, killed with SIGKILL while starters and agents run over HTTP (group commit on, as by
/// default) and started again on the same store: every acknowledged start and completion is there once, no task was
/// handed to two agents, a task an agent held at the kill is handed back to it first, and the outbox's handoff to the
/// back office reaches it once for each complaint. On SQLite with the in-memory bus, and on PostgreSQL with RabbitMQ.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class CrashTests(Backend backend)
{
    private const string Queue = "front-desk";
    private static readonly string[] s_agents = ["agent-1", "agent-2", "agent-3"];

    // Above the front desk's authority: each registered complaint is handed over to the back office through the outbox.
    private static readonly object s_registration = new { variables = new { category = "billing", amount = 400, summary = "x" } };

    [Test]
    public async Task A_host_killed_mid_load_keeps_every_acknowledged_start_and_completion_once_and_hands_each_held_task_back_after_its_restart()
    {
        var directory = Directory.CreateTempSubdirectory("workflows-hostcrash-").FullName;
        var load = new Load();
        await using var store = await TestBackend.CreateAsync(backend, directory);
        try
        {
            Handout kept;
            using (var first = HostProcess.Start(store))
            {
                using var ann = await first.SignInAsync("ann");
                using var stop = new CancellationTokenSource();
                var agents = s_agents.Select(a => (Name: a, Client: Agent(first, a))).ToList();
                var running = Task.WhenAll(Enumerable.Range(0, 2).Select(_ => load.StartAsync(ann, stop.Token))
                    .Concat(agents.Select(a => load.WorkAsync(a.Client, a.Name, stop.Token))));
                await ProgressWait.UntilAsync(() => Task.FromResult(load.Completed.Count), n => n >= 20, n => n, "the agents completed 20 tasks before the kill");

                // One agent takes a task and holds it through the kill: a task claimed for sure and not completed.
                using var keeper = Agent(first, "keeper");
                kept = await load.NextAsync(keeper, "keeper", CancellationToken.None)
                    ?? throw new AssertionException("the keeper was handed a task before the kill");

                await first.KillAsync(); // mid-load: no shutdown code runs
                await stop.CancelAsync();
                await running;
                foreach (var (_, client) in agents)
                {
                    client.Dispose();
                }
            }

            var registeredAtKill = await RegisteredAsync(store);
            var heldAtKill = load.Handouts.Where(h => !registeredAtKill.ContainsKey(h.InstanceId)).ToLookup(h => h.Agent, h => h.TaskId);

            using (var second = HostProcess.Start(store))
            {
                using var ann = await second.SignInAsync("ann");
                using (Assert.EnterMultipleScope())
                {
                    foreach (var (id, _) in load.Started)
                    {
                        using var read = await ann.GetAsync(new Uri($"api/instances/{id}", UriKind.Relative));
                        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"the acknowledged start {id} is there after the restart");
                    }
                }

                // Each agent's first task after the restart is one it held at the kill (if it held any); then every agent
                // works the queue empty, completing what is left of the load, the held tasks among it.
                var firstAfter = new Dictionary<string, Handout?>();
                foreach (var agent in s_agents.Append("keeper"))
                {
                    using var client = Agent(second, agent);
                    var next = await load.NextAsync(client, agent, CancellationToken.None);
                    firstAfter[agent] = next;
                    if (next is not null)
                    {
                        await load.CompleteAsync(client, next, CancellationToken.None);
                        await DrainAsync(load, client, agent);
                    }
                }

                using (Assert.EnterMultipleScope())
                {
                    Assert.That(firstAfter["keeper"]?.TaskId, Is.EqualTo(kept.TaskId), "the keeper's held task is handed back to it first after the restart");
                    foreach (var (agent, next) in firstAfter)
                    {
                        if (heldAtKill[agent].Any())
                        {
                            Assert.That(heldAtKill[agent], Does.Contain(next?.TaskId), $"{agent} is handed back a task it held at the kill first");
                        }
                    }
                }

                // Nothing stuck: whatever jobs and timers came due before or during the kill are done by the restarted worker.
                // Leased rows of the killed node count too: their lease runs out and the restarted worker takes them.
                // Waited for as long as the overdue rows get fewer (ProgressWait), not for a wall-clock time.
                var overdue = await ProgressWait.UntilAsync(() => store.CountAsync(Overdue()), n => n == 0, n => -n, "the restarted worker worked off the overdue jobs and timers");
                Assert.That(overdue, Is.Zero, "no job or timer is left overdue after the restart");

                // The outbox publishes what was committed before the kill and not yet sent: each registered complaint's
                // handoff starts its back-office investigation, waited for as long as the missing ones get fewer. On the
                // in-memory bus too: there a row is marked published only once an engine took its message (InMemoryHandoffs),
                // so a message the kill caught between the relay and its consumer is published again after the restart.
                var missing = await ProgressWait.UntilAsync(() => store.CountAsync(FaultChecks.HandoffsMissing), n => n == 0, n => -n, "the outbox handed every registered complaint over to the back office");
                Assert.That(missing, Is.Zero, "every registered complaint was handed over");

                // More work on the restarted host: it takes writes again.
                using var again = await ann.PostAsJsonAsync("api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-crash" } });
                Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created), await again.Content.ReadAsStringAsync());
                await second.KillAsync();
            }

            var registered = await RegisteredAsync(store);
            var handedTwice = load.Handouts.GroupBy(h => h.TaskId).Where(g => g.Select(h => h.Agent).Distinct().Count() > 1).Select(g => g.Key);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(load.Completed.Where(i => registered.GetValueOrDefault(i) != 1), Is.Empty, "every acknowledged completion is there once");
                Assert.That(load.Started.Keys.Where(i => registered.GetValueOrDefault(i) != 1), Is.Empty, "every acknowledged start's task was completed once, after the restart if not before");
                Assert.That(registered.Values.Where(n => n > 1), Is.Empty, "no task completed twice");
                Assert.That(handedTwice, Is.Empty, "no task was handed to two agents");
                Assert.That(await store.CountAsync(FaultChecks.HandoffsTwice), Is.Zero, "no complaint was handed over to the back office twice");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Overdue() =>
        $"SELECT (SELECT COUNT(*) FROM wf_jobs WHERE external = 0 AND due_at <= {DateTimeOffset.UtcNow.AddSeconds(-5).UtcTicks}) + (SELECT COUNT(*) FROM wf_timers WHERE due_at <= {DateTimeOffset.UtcNow.AddSeconds(-5).UtcTicks})";

    // An agent of the demo branch working the front desk, by a token signed with the host's key.
    private static HttpClient Agent(HostProcess host, string name) =>
        host.WithToken(("sub", name), ("role", "agent"), ("branch", "paris-01"), ("queue", Queue));

    // Next task and complete until the queue is empty. A task handed out again after its completion failed would loop
    // for ever: it fails the test, naming the task.
    private static async Task DrainAsync(Load load, HttpClient client, string agent)
    {
        string? refused = null;
        while (await load.NextAsync(client, agent, CancellationToken.None) is { } next)
        {
            Assert.That(next.TaskId, Is.Not.EqualTo(refused), $"{agent} is not handed again a task whose completion was refused");
            refused = await load.CompleteAsync(client, next, CancellationToken.None) ? null : next.TaskId;
        }
    }

    // How many times each complaint's registration was completed, by instance id.
    private static async Task<Dictionary<string, long>> RegisteredAsync(TestBackend store)
    {
        await using var db = await store.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT instance_id, COUNT(*) FROM wf_history WHERE kind = 'task-completed' AND element_id = 'register' GROUP BY instance_id";
        var completions = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            completions[reader.GetValue(0).ToString()!] = reader.GetInt64(1);
        }

        return completions;
    }

    /// <summary>A task handed to an agent by next-task, acknowledged (the agent read the answer).</summary>
    private sealed record Handout(string TaskId, string InstanceId, string Agent);

    /// <summary>What the clients were told: acknowledged starts (id and business key), handouts and completions.</summary>
    private sealed class Load
    {
        public ConcurrentDictionary<string, string> Started { get; } = new(StringComparer.OrdinalIgnoreCase);

        public ConcurrentQueue<Handout> Handouts { get; } = new();

        public ConcurrentBag<string> Completed { get; } = [];

        public async Task StartAsync(HttpClient ann, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var start = await ann.PostAsJsonAsync("api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-crash" } }, stop);
                    if (start.StatusCode == HttpStatusCode.Created)
                    {
                        var body = await start.Content.ReadFromJsonAsync<JsonElement>(stop);
                        Started[body.GetProperty("id").GetString()!] = body.GetProperty("businessKey").GetString()!;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or JsonException)
                {
                    // the host died under the request: not acknowledged
                }
            }
        }

        public async Task WorkAsync(HttpClient agent, string name, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (await NextAsync(agent, name, stop) is { } next)
                    {
                        await CompleteAsync(agent, next, stop);
                    }
                    else
                    {
                        await Task.Delay(20, stop); // the queue is empty for now: the starters fill it
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or JsonException)
                {
                    // the host died under the request: not acknowledged
                }
            }
        }

        /// <summary>The agent's next task (recorded as handed to it), or null when the queue has none for it.</summary>
        public async Task<Handout?> NextAsync(HttpClient agent, string name, CancellationToken ct)
        {
            using var next = await agent.PostAsJsonAsync("api/tasks/next", new { queues = new[] { Queue } }, ct);
            if (next.StatusCode != HttpStatusCode.OK)
            {
                Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.NoContent).Or.EqualTo(HttpStatusCode.Conflict).Or.EqualTo(HttpStatusCode.ServiceUnavailable), await next.Content.ReadAsStringAsync(ct));
                return null;
            }

            var task = await next.Content.ReadFromJsonAsync<JsonElement>(ct);
            var handout = new Handout(task.GetProperty("id").GetString()!, task.GetProperty("instanceId").GetString()!, name);
            Handouts.Enqueue(handout);
            return handout;
        }

        /// <summary>Completes the registration handed out; whether it was acknowledged.</summary>
        public async Task<bool> CompleteAsync(HttpClient agent, Handout handout, CancellationToken ct)
        {
            using var complete = await agent.PostAsJsonAsync($"api/tasks/{handout.TaskId}/complete", s_registration, ct);
            if (complete.IsSuccessStatusCode)
            {
                Completed.Add(handout.InstanceId);
            }

            return complete.IsSuccessStatusCode;
        }
    }
}
