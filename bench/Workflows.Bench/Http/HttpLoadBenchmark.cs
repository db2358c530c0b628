using System.Collections.Concurrent;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Workflows.Engine.Sql;

namespace Workflows.Bench.Http;

/// <summary>What the driver is asked to do (<c>http</c> command's options).</summary>
internal sealed record HttpLoadOptions(
    SqlProvider? Provider,
    string Server,
    int Runs,
    IReadOnlyList<int> StartClients,
    IReadOnlyList<int> Agents,
    int OpenTasks,
    TimeSpan PhaseDuration,
    TimeSpan WarmUp,
    int FillClients,
    int Queries,
    TimeSpan FlushDuration,
    string HostDll,
    IReadOnlyDictionary<string, string> Settings,
    int? Port = null,
    int SessionClients = 32,
    HttpPhases Phases = HttpPhases.All)
{
    /// <summary>Only the session and start phases (no fill, lists or agents).</summary>
    public bool StartsOnly => Phases == HttpPhases.Starts;

    /// <summary>Only the agents' loop (after the warm-up starts and the fill): no session, start sweep or lists.</summary>
    public bool AgentsOnly => Phases == HttpPhases.Agents;

    /// <summary>The store's name as the report gives it (null provider: the engine's memory).</summary>
    public string StoreName => Provider?.ToString() ?? "InMemory";
}

/// <summary>Which phases a run of the driver measures (<c>--only</c>).</summary>
internal enum HttpPhases
{
    All,
    Starts,
    Agents,
}

/// <summary>
/// Issue 19 item 7: the product measured through HTTP as its users meet it. Each run starts the built host on a fresh
/// store, then: the disk's flush rate in the store's folder; complaint starts by 1/8/32/128 concurrent clients
/// (instances/s, p50/p99 as the client sees them); a fill to N open tasks, counted back by paging the supervisor's
/// list; the supervisor's list and a queue's list with N tasks open; agents looping next-task + complete (1/8/20, each
/// with a token of its own), every task handed to one agent only and its completion found once, by that agent, in its
/// instance's history; the flush rate again. The runs' medians are printed as a table for BENCHMARKS.md.
/// Before the starts, the ceiling of the request path: an authenticated request that does no engine work
/// (<c>GET /api/auth/session</c>) from as many clients, whose host and driver CPU per request bound any request's rate
/// on these cores. Every phase reports the host's, the driver's and (PostgreSQL) the database server's CPU per step.
/// </summary>
internal static class HttpLoadBenchmark
{
    public static async Task RunAsync(HttpLoadOptions options)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; commit {Machine.Commit()}");
        Console.WriteLine($"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {Machine.LoadAverage()}; store: {options.StoreName}; host: {options.HostDll}");
        Console.WriteLine($"{options.Runs} runs, each on a fresh store; phases of {options.PhaseDuration.TotalSeconds:N0} s; start clients {string.Join('/', options.StartClients)}; agents {string.Join('/', options.Agents)}; fill to {options.OpenTasks:N0} open tasks");
        var runs = new List<RunResult>();
        for (var run = 1; run <= options.Runs; run++)
        {
            Console.WriteLine();
            Console.WriteLine($"run {run} of {options.Runs}");
            runs.Add(await RunOnceAsync(options));
        }

        Report.Print(options, runs);
    }

    private static async Task<RunResult> RunOnceAsync(HttpLoadOptions options)
    {
        var result = new RunResult();
        await using var host = await HostUnderTest.StartAsync(options.HostDll, options.Provider, options.Server, options.Settings, options.Port);
        using var client = new LoadClient(host.Url, host.SigningKey);
        var flushDirectory = options.Provider is SqlProvider.Sqlite or null ? host.Directory : Path.GetTempPath();
        result.FlushBefore = Machine.FlushRate(flushDirectory, options.FlushDuration);
        Console.WriteLine($"  fdatasync/s in {flushDirectory}: {result.FlushBefore:N0} (load {Machine.LoadAverage()}); host process {host.ProcessId} at {host.Url}");

        var started = await WarmUpAsync(options, client);
        if (options.SessionClients > 0 && !options.AgentsOnly)
        {
            await SessionsAsync(options, client, result, host);
        }

        foreach (var clients in options.AgentsOnly ? [] : options.StartClients)
        {
            var runtime = await client.RuntimeCountsAsync();
            var load = Machine.LoadAverage();
            var cpu = host.CpuTime();
            PerfControl.Enable(); // under perf (following the host as the bench's child), only the counted starts
            var (tally, elapsed) = await Tally.RunAsync(clients, Tally.For(options.PhaseDuration), async (_, t) => Started(t, await client.StartComplaintAsync()));
            PerfControl.Disable();
            started += tally.Ok;
            result.Add($"start, {clients} client{(clients == 1 ? "" : "s")}", "instances/s", tally, elapsed, load, host.CpuTime() - cpu);
            await PrintRuntimeAsync(client, runtime, tally.Ok, "per start");
        }

        if (!options.StartsOnly)
        {
            await FillAsync(options, client, result, started, host);
            if (!options.AgentsOnly)
            {
                await QueriesAsync(options, client, result);
            }

            await AgentsAsync(options, client, result, host);
        }

        result.FlushAfter = Machine.FlushRate(flushDirectory, options.FlushDuration);
        Console.WriteLine($"  fdatasync/s in {flushDirectory}: {result.FlushAfter:N0} (load {Machine.LoadAverage()})");
        return result;
    }

    /// <summary>
    /// Starts complaints from 32 clients in windows of 10 s, not counted, until a window is no faster than the one
    /// before (by 10 %) or <see cref="HttpLoadOptions.WarmUp"/> has passed; answers how many started. A fixed warm-up
    /// (400 starts) was not enough on a loaded machine: the sweep in the host's first minute ran at a third of the rate
    /// the fill reached later with as many clients; one run with <c>DOTNET_TieredCompilation=0</c> (no tiered JIT)
    /// showed no such gap, so tiered compilation catching up is the likely cause.
    /// </summary>
    private static async Task<long> WarmUpAsync(HttpLoadOptions options, LoadClient client)
    {
        var started = 0L;
        var previous = 0d;
        var window = TimeSpan.FromSeconds(Math.Min(10, options.WarmUp.TotalSeconds));
        for (var spent = TimeSpan.Zero; spent < options.WarmUp; spent += window)
        {
            var load = Machine.LoadAverage();
            var (warm, elapsed) = await Tally.RunAsync(32, Tally.For(window), async (_, tally) => Started(tally, await client.StartComplaintAsync()));
            Fail(warm, "warm-up starts");
            started += warm.Ok;
            var rate = warm.Ok / elapsed.TotalSeconds;
            Console.WriteLine(Machine.Invariant($"  warm-up, 32 clients for {elapsed.TotalSeconds:N0} s: {rate:N0} instances/s (not counted; load {load})"));
            if (rate <= previous * 1.1)
            {
                break;
            }

            previous = rate;
        }

        return started;
    }

    /// <summary>
    /// What a request costs when it does no engine work: <c>GET /api/auth/session</c> (the token checked, the route and
    /// its role, the answer written as JSON, through every middleware a start passes) from as many clients as the
    /// starts' middle phase, after as many not counted. Its host and driver CPU per request bound what any request can
    /// reach on these cores.
    /// </summary>
    private static async Task SessionsAsync(HttpLoadOptions options, LoadClient client, RunResult result, HostUnderTest host)
    {
        var clients = options.SessionClients;
        var warm = await Tally.RunAsync(clients, Tally.For(TimeSpan.FromSeconds(Math.Min(10, options.PhaseDuration.TotalSeconds))),
            async (_, t) => Answered(t, "session", await client.GetAsync(client.Starter, "api/auth/session")));
        Fail(warm.Total, "session warm-up");
        var runtime = await client.RuntimeCountsAsync();
        var load = Machine.LoadAverage();
        var cpu = host.CpuTime();
        var (tally, elapsed) = await Tally.RunAsync(clients, Tally.For(options.PhaseDuration), async (_, t) => Answered(t, "session", await client.GetAsync(client.Starter, "api/auth/session")));
        result.Add($"session (no engine work), {clients} client{(clients == 1 ? "" : "s")}", "requests/s", tally, elapsed, load, host.CpuTime() - cpu);
        await PrintRuntimeAsync(client, runtime, tally.Ok, "per request");
    }

    // The host's allocations and collections over a phase, per step: counted, so less hurt by a loaded machine than its rates.
    private static async Task PrintRuntimeAsync(LoadClient client, RuntimeCounts? before, long steps, string per)
    {
        if (before is not null && await client.RuntimeCountsAsync() is { } after)
        {
            Console.WriteLine($"    host runtime {per}: {after.PerStep(before, steps)} (the phase's scrapes included)");
        }
    }

    /// <summary>Starts complaints until <see cref="HttpLoadOptions.OpenTasks"/> wait at registration, then counts them back.</summary>
    private static async Task FillAsync(HttpLoadOptions options, LoadClient client, RunResult result, long started, HostUnderTest host)
    {
        var missing = options.OpenTasks - started;
        if (missing > 0)
        {
            var load = Machine.LoadAverage();
            var cpu = host.CpuTime();
            var (tally, elapsed) = await Tally.RunAsync(options.FillClients, Tally.Times(missing), async (_, t) => Started(t, await client.StartComplaintAsync()));
            Fail(tally, "fill starts");
            started += tally.Ok;
            result.Add($"fill to {options.OpenTasks:N0} open tasks, {options.FillClients} clients", "instances/s", tally, elapsed, load, host.CpuTime() - cpu);
        }

        // Each complaint waits at its registration task: the supervisor's list, paged to the end, must hold them all.
        var open = 0L;
        for (string? cursor = null; ;)
        {
            var page = await client.GetAsync(client.Supervisor, "api/tasks?pageSize=200" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), keepBody: true);
            if (page.Status != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"the supervisor's list answered {(int)page.Status}: {page.Body}");
            }

            var json = page.Json();
            open += json.GetProperty("tasks").GetArrayLength();
            cursor = json.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            if (cursor is null)
            {
                break;
            }
        }

        result.OpenTasks = open;
        Console.WriteLine($"  open tasks counted through the supervisor's list: {open:N0} ({started:N0} complaints started)");
        if (open != started)
        {
            throw new InvalidOperationException($"{started:N0} complaints started but the supervisor's list holds {open:N0} open tasks");
        }
    }

    /// <summary>The task lists the pages read, one request at a time, with every filled task open.</summary>
    private static async Task QueriesAsync(HttpLoadOptions options, LoadClient client, RunResult result)
    {
        var agent = client.Agent(0);
        foreach (var (name, token, path) in new[]
        {
            ("supervisor's list, by SLA time left", client.Supervisor, "api/tasks?pageSize=50"),
            ("supervisor's list, by priority", client.Supervisor, "api/tasks?pageSize=50&sort=priority"),
            ("supervisor's list, by age", client.Supervisor, "api/tasks?pageSize=50&sort=age"),
            ("queue front-desk (an agent's list), by SLA time left", agent, "api/tasks?pageSize=50&queue=front-desk"),
        })
        {
            await Tally.RunAsync(1, Tally.Times(20), async (_, t) => Answered(t, name, await client.GetAsync(token, path)));
            var load = Machine.LoadAverage();
            var (tally, elapsed) = await Tally.RunAsync(1, Tally.Times(options.Queries), async (_, t) => Answered(t, name, await client.GetAsync(token, path)));
            result.Add($"{name}, {result.OpenTasks:N0} open", "requests/s", tally, elapsed, load);
        }
    }

    /// <summary>
    /// Agents (tokens of their own) loop next-task + complete for a phase each. A task next-task hands to two agents, a
    /// completion refused, or a completion its instance's history does not show exactly once by its agent, is reported.
    /// </summary>
    private static async Task AgentsAsync(HttpLoadOptions options, LoadClient client, RunResult result, HostUnderTest host)
    {
        var handed = new ConcurrentDictionary<Guid, string>();
        var completed = new ConcurrentDictionary<Guid, (string Agent, Guid Instance)>();
        var duplicates = 0L;

        // One step of an agent: next-task, then the completion of what it handed, each checked and its latency kept.
        Func<int, Tally, Task> Loop(string[] tokens, ConcurrentBag<double> nexts, ConcurrentBag<double> completions) => async (agent, t) =>
        {
            var name = $"load-agent-{agent + 1:D2}";
            var next = await client.NextAsync(tokens[agent]);
            if (next.Status == HttpStatusCode.NoContent)
            {
                t.Empty++;
                await Task.Delay(20);
                return;
            }

            if (next.Status != HttpStatusCode.OK)
            {
                t.Failed("next-task", next);
                return;
            }

            nexts.Add(next.Milliseconds);
            var task = next.Json();
            var id = task.GetProperty("id").GetGuid();
            // Handed again to the agent that holds it (its completion failed, counted below): next-task hands a held task back
            // first, so that none stays stranded; only a task handed to a second agent is a duplicate.
            if (!handed.TryAdd(id, name) && handed[id] != name)
            {
                Interlocked.Increment(ref duplicates);
                t.Failed($"task {id} handed to {name} after {handed[id]}");
                return;
            }

            var done = await client.CompleteAsync(tokens[agent], id, task.GetProperty("elementId").GetString()!);
            if (done.Status != HttpStatusCode.NoContent)
            {
                t.Failed($"completing {task.GetProperty("elementId").GetString()}", done);
                return;
            }

            completions.Add(done.Milliseconds);
            completed[id] = (name, task.GetProperty("instanceId").GetGuid());
            t.Succeeded(next.Milliseconds + done.Milliseconds);
        };

        // The loop once, not counted, until its code is compiled: the start warm-up never runs next-task or a completion, and
        // in a phase without this the JIT had 11.6 % of the host's samples (round 13), counted in its CPU per loop.
        var most = options.Agents.Max();
        var warmTokens = Enumerable.Range(1, most).Select(client.Agent).ToArray();
        var (warm, warmElapsed) = await Tally.RunAsync(most, Tally.For(TimeSpan.FromSeconds(Math.Min(10, options.WarmUp.TotalSeconds))), Loop(warmTokens, [], []));
        Fail(warm, "agents' warm-up");
        Console.WriteLine(Machine.Invariant($"  warm-up, {most} agents for {warmElapsed.TotalSeconds:N0} s: {warm.Ok / warmElapsed.TotalSeconds:N0} loops/s (not counted; load {Machine.LoadAverage()})"));
        foreach (var count in options.Agents)
        {
            var tokens = Enumerable.Range(1, count).Select(client.Agent).ToArray();
            var nexts = new ConcurrentBag<double>();
            var completions = new ConcurrentBag<double>();
            var commands = await client.CommandCountsAsync();
            var runtime = await client.RuntimeCountsAsync();
            var database = await host.DatabaseCountsAsync();
            var load = Machine.LoadAverage();
            var cpu = host.CpuTime();
            var (tally, elapsed) = await Tally.RunAsync(count, Tally.For(options.PhaseDuration), Loop(tokens, nexts, completions));
            var label = $"{count} agent{(count == 1 ? "" : "s")}, next-task + complete";
            result.Add(label, "loops/s", tally, elapsed, load, host.CpuTime() - cpu);
            var after = await client.CommandCountsAsync();
            Console.WriteLine("    engine commands in the phase: " + string.Join(", ", after.Where(c => c.Value > commands.GetValueOrDefault(c.Key))
                .OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => Machine.Invariant($"{c.Key} {c.Value - commands.GetValueOrDefault(c.Key):N0}"))));
            await PrintRuntimeAsync(client, runtime, tally.Ok, "per loop");
            if (database is not null && await host.DatabaseCountsAsync() is { } served)
            {
                Console.WriteLine("    per loop: " + served.PerStep(database, tally.Ok));
            }

            result.AddLatencies($"{count} agent{(count == 1 ? "" : "s")}: next-task", [.. nexts.Order()]);
            result.AddLatencies($"{count} agent{(count == 1 ? "" : "s")}: complete", [.. completions.Order()]);
        }

        result.Verification = await VerifyAsync(client, completed, duplicates);
        Console.WriteLine($"  {result.Verification}");
    }

    /// <summary>Every completed task's instance, read back by the supervisor: its history holds the completion once, by the agent.</summary>
    private static async Task<string> VerifyAsync(LoadClient client, ConcurrentDictionary<Guid, (string Agent, Guid Instance)> completed, long duplicates)
    {
        var instances = new ConcurrentQueue<IGrouping<Guid, KeyValuePair<Guid, (string Agent, Guid Instance)>>>(completed.GroupBy(c => c.Value.Instance));
        var problems = new ConcurrentBag<string>();
        var rows = 0L;
        await Tally.RunAsync(8, () => !instances.IsEmpty, async (_, _) =>
        {
            if (!instances.TryDequeue(out var instance))
            {
                return;
            }

            var view = await client.GetAsync(client.Supervisor, $"api/instances/{instance.Key}", keepBody: true);
            if (view.Status != HttpStatusCode.OK)
            {
                problems.Add($"instance {instance.Key}: {(int)view.Status}");
                return;
            }

            var completions = view.Json().GetProperty("history").EnumerateArray()
                .Where(h => h.GetProperty("kind").GetString() == "task-completed")
                .Select(h => (Task: h.GetProperty("detail").GetString(), Actor: h.GetProperty("actor").GetString()))
                .ToList();
            Interlocked.Add(ref rows, completions.Count);
            foreach (var (task, (agent, _)) in instance)
            {
                var found = completions.Where(c => c.Task == task.ToString()).ToList();
                if (found.Count != 1 || found[0].Actor != agent)
                {
                    problems.Add($"task {task}: {found.Count} completion(s) in its history, by {string.Join(", ", found.Select(f => f.Actor))}, expected one by {agent}");
                }
            }

            if (completions.Count != instance.Count())
            {
                problems.Add($"instance {instance.Key}: {completions.Count} completions in its history, the agents made {instance.Count()}");
            }
        });
        return problems.IsEmpty && duplicates == 0
            ? $"verified: {completed.Count:N0} tasks, each handed to one agent by next-task and completed once, by that agent ({rows:N0} completions in {completed.Values.Select(c => c.Instance).Distinct().Count():N0} instances' history)"
            : $"NOT verified: {duplicates} task(s) handed twice; {problems.Count} problem(s), first: {string.Join("; ", problems.Take(3))}";
    }

    private static void Started(Tally tally, Answer answer)
    {
        if (answer.Status == HttpStatusCode.Created)
        {
            tally.Succeeded(answer.Milliseconds);
        }
        else
        {
            tally.Failed("start", answer);
        }
    }

    private static void Answered(Tally tally, string what, Answer answer)
    {
        if (answer.Status == HttpStatusCode.OK)
        {
            tally.Succeeded(answer.Milliseconds);
        }
        else
        {
            tally.Failed(what, answer);
        }
    }

    private static void Fail(Tally tally, string what)
    {
        if (tally.Errors > 0)
        {
            throw new InvalidOperationException($"{what}: {tally.Errors} failed, first: {tally.FirstError}");
        }
    }
}
