using System.Diagnostics;
using Workflows.Engine;
using Workflows.Engine.Sql;

namespace Workflows.Bench;

/// <summary>
/// Issue 19: what one engine command costs the process, counted rather than timed, so that it can be read on a shared
/// machine. The library's complaint journey (its decisions, a branch and a calendar, as the host runs it) on a fresh
/// store; after a warm-up, each kind of command is run one at a time: bytes allocated per command (the whole process's,
/// nothing else runs in it), and the process's CPU time per command, which a loaded machine moves (cache misses,
/// frequency): read it as a rough figure only.
/// </summary>
/// <remarks>
/// On SQLite the statements run through the store's prepared statements (<c>SqliteSessions</c>) are counted here; any
/// run past them (Dapper on a connection of its own) is not: count <c>sqlite3_prepare_v2</c> and <c>sqlite3_step</c> from
/// outside for the whole, e.g. with <c>perf probe -x libe_sqlite3.so sqlite3_prepare_v2</c> and <c>perf stat</c> over two
/// invocations that differ only in <c>--commands</c>. With <c>--allocations N</c> the N types most allocated during the
/// counted commands are listed, from the runtime's allocation sampling (<see cref="AllocationSampler"/>). Under
/// <c>perf</c>, <see cref="PerfControl"/> keeps its counts and samples to the counted commands.
/// </remarks>
internal static class CommandCostBenchmark
{
    public static async Task RunAsync(SqlProvider provider, string server, int commands, int warmUp, int allocations = 0, bool statements = false)
    {
        _ = NpgsqlCounts.Now; // listening before Npgsql's meter is made
        await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
        var (engine, _) = await MigrationBenchmark.LibraryComplaintsAsync(db.Store);
        s_sessions = (engine.Store as SqlWorkflowStore)?.Sessions;
        using var sampler = allocations > 0 ? new AllocationSampler() : null;
        s_sampler = sampler;
        s_server = provider == SqlProvider.PostgreSql ? new ServerCpu(db.Store.ConnectionString) : null;

        // Every kind of command first, so that each is compiled and tiered before it is counted.
        for (var round = 0; round < 3; round++)
        {
            await CycleAsync(engine, $"W{round}", warmUp / 3);
            await Task.Delay(500); // the tiered JIT's background compilation
        }

        var started = new List<Guid>();
        var starts = await MeasureAsync("start", commands, async i => started.Add(await WalPagesBenchmark.StartAsync(engine, $"M-{i:D6}")));
        var registered = await WalPagesBenchmark.OpenTasksAsync(engine, started);
        var completions = await MeasureAsync("completion", commands, i => engine.Tasks.CompleteAsync(registered[i], RegistrationForm, "agent"));
        var resolved = await WalPagesBenchmark.OpenTasksAsync(engine, started);
        var claims = await MeasureAsync("claim", commands, i => engine.Tasks.ClaimAsync(resolved[i], "agent"));

        // Next-task as an agent pulls it (the page of its queues, then the claim of the best task): as many complaints
        // again, started and registered uncounted, whose front-desk tasks are then pulled one at a time.
        var pulled = new List<Guid>();
        for (var i = 0; i < commands; i++)
        {
            pulled.Add(await WalPagesBenchmark.StartAsync(engine, $"N-{i:D6}"));
        }

        foreach (var task in await WalPagesBenchmark.OpenTasksAsync(engine, pulled))
        {
            await engine.Tasks.CompleteAsync(task, RegistrationForm, "agent");
        }

        var pageQuery = new TaskQuery { Queues = ["front-desk", "customer-care"], CandidateUser = "puller", Unassigned = true, Sort = TaskSort.SlaTimeLeft, Branch = "bench-01" };
        var pages = await MeasureAsync("page", commands, async _ => await engine.Store.QueryTaskIdsAsync(pageQuery, 8, default));
        // As the API's next-task pulls (a task the agent holds first): each by an agent of its own, holding none, as at almost every pull.
        var nexts = await MeasureAsync("next-task", commands, async i =>
        {
            if (await engine.Tasks.NextAsync($"puller-{i:D6}", ["front-desk", "customer-care"], "bench-01") is null)
            {
                throw new InvalidOperationException("next-task found no task where one was waiting");
            }
        });
        if (statements && provider == SqlProvider.PostgreSql)
        {
            // One more command of each kind, its statements listed: which reads (and the commit's one batch) it makes.
            var instance = Guid.Empty;
            await ListStatementsAsync("start", async () => instance = await WalPagesBenchmark.StartAsync(engine, "S-000000"));
            var registration = (await WalPagesBenchmark.OpenTasksAsync(engine, [instance]))[0];
            await ListStatementsAsync("completion", () => engine.Tasks.CompleteAsync(registration, RegistrationForm, "agent"));
            var frontDesk = (await WalPagesBenchmark.OpenTasksAsync(engine, [instance]))[0];
            await ListStatementsAsync("claim", () => engine.Tasks.ClaimAsync(frontDesk, "agent"));
            var another = await WalPagesBenchmark.StartAsync(engine, "S-000001");
            await engine.Tasks.CompleteAsync((await WalPagesBenchmark.OpenTasksAsync(engine, [another]))[0], RegistrationForm, "agent");
            await ListStatementsAsync("next-task", () => engine.Tasks.NextAsync("lister", ["front-desk", "customer-care"], "bench-01"));
        }


        Console.WriteLine($"{provider}, {warmUp} complaints started, completed and claimed before; then {commands} commands of each kind one at a time");
        Console.WriteLine();
        Console.WriteLine("| per command | start (complaint received → registration task) | completion (registration → front-desk task) | claim of a task | next-task (the agent's held tasks and its queues' page, then the claim) | of which its page alone |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| bytes allocated | {starts.Bytes:N0} | {completions.Bytes:N0} | {claims.Bytes:N0} | {nexts.Bytes:N0} | {pages.Bytes:N0} |");
        Console.WriteLine($"| CPU time (rough on a shared machine) | {starts.CpuMicroseconds:N0} µs | {completions.CpuMicroseconds:N0} µs | {claims.CpuMicroseconds:N0} µs | {nexts.CpuMicroseconds:N0} µs | {pages.CpuMicroseconds:N0} µs |");
        if (s_sessions is not null)
        {
            Console.WriteLine($"| statements run through the store's prepared statements | {starts.Statements:N1} | {completions.Statements:N1} | {claims.Statements:N1} | {nexts.Statements:N1} | {pages.Statements:N1} |");
            Console.WriteLine($"| of which prepared | {starts.Prepared:N1} | {completions.Prepared:N1} | {claims.Prepared:N1} | {nexts.Prepared:N1} | {pages.Prepared:N1} |");
        }

        if (provider == SqlProvider.PostgreSql)
        {
            Console.WriteLine($"| Npgsql commands and batches run (a round trip each; COMMIT not included) | {starts.Commands:N2} | {completions.Commands:N2} | {claims.Commands:N2} | {nexts.Commands:N2} | {pages.Commands:N2} |");
            Console.WriteLine($"| bytes sent to the server | {starts.BytesWritten:N0} | {completions.BytesWritten:N0} | {claims.BytesWritten:N0} | {nexts.BytesWritten:N0} | {pages.BytesWritten:N0} |");
            Console.WriteLine($"| bytes read from the server | {starts.BytesRead:N0} | {completions.BytesRead:N0} | {claims.BytesRead:N0} | {nexts.BytesRead:N0} | {pages.BytesRead:N0} |");
            Console.WriteLine($"| CPU time of the database's server processes (rough) | {starts.ServerMicroseconds:N0} µs | {completions.ServerMicroseconds:N0} µs | {claims.ServerMicroseconds:N0} µs | {nexts.ServerMicroseconds:N0} µs | {pages.ServerMicroseconds:N0} µs |");
        }

        if (sampler is not null)
        {
            Console.WriteLine();
            Console.WriteLine($"Types most allocated during the counted commands (the runtime's allocation ticks, ~100 KB each, {commands * 4} commands):");
            Console.WriteLine();
            Console.WriteLine("| type | share of the sampled bytes | ticks |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var (type, share, ticks) in sampler.Top(allocations))
            {
                Console.WriteLine($"| `{type}` | {share:P1} | {ticks} |");
            }
        }
    }

    private static async Task ListStatementsAsync(string kind, Func<Task> command)
    {
        NpgsqlStatements.Take();
        NpgsqlStatements.Capturing = true;
        await command();
        NpgsqlStatements.Capturing = false;
        var ran = NpgsqlStatements.Take();
        Console.WriteLine($"{kind}: {ran.Count} round trips (the COMMIT not included)");
        foreach (var trip in ran)
        {
            // A batch's statements, as Npgsql's activity joins them: one a line, so that they can be counted.
            var statements = trip.Split("; ");
            Console.WriteLine($"  {statements.Length} statement(s):");
            foreach (var statement in statements)
            {
                Console.WriteLine($"    {(statement.Length > 140 ? statement[..140] + " …" : statement)}");
            }
        }

        Console.WriteLine();
    }

    private static SqliteSessions? s_sessions;
    private static AllocationSampler? s_sampler;

    private static readonly Dictionary<string, object?> RegistrationForm = new() { ["category"] = "billing", ["amount"] = 50, ["summary"] = "overcharged" };

    private static async Task CycleAsync(WorkflowEngine engine, string prefix, int count)
    {
        var started = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            started.Add(await WalPagesBenchmark.StartAsync(engine, $"{prefix}-{i:D6}"));
        }

        foreach (var task in await WalPagesBenchmark.OpenTasksAsync(engine, started))
        {
            await engine.Tasks.CompleteAsync(task, RegistrationForm, "agent");
        }

        foreach (var task in await WalPagesBenchmark.OpenTasksAsync(engine, started))
        {
            await engine.Tasks.ClaimAsync(task, "agent");
        }

        // Next-task's pulls too (each queue's page, then a claim), until its queues are empty: compiled before they are counted.
        var pulled = new List<Guid>();
        for (var i = 0; i < count / 4; i++)
        {
            pulled.Add(await WalPagesBenchmark.StartAsync(engine, $"{prefix}-N-{i:D6}"));
        }

        foreach (var task in await WalPagesBenchmark.OpenTasksAsync(engine, pulled))
        {
            await engine.Tasks.CompleteAsync(task, RegistrationForm, "agent");
        }

        while (await engine.Tasks.ClaimNextAsync("puller", ["front-desk", "customer-care"], "bench-01") is not null)
        {
        }
    }

    private static ServerCpu? s_server;

    private sealed record Cost(double Bytes, double CpuMicroseconds, double Statements, double Prepared, double Commands, double BytesWritten, double BytesRead, double ServerMicroseconds);

    // WORKFLOWS_BENCH_PERF_ONLY=start (or completion, claim, page, next-task): perf counts that kind of command alone.
    private static readonly string? s_perfOnly = Environment.GetEnvironmentVariable("WORKFLOWS_BENCH_PERF_ONLY");

    private static async Task<Cost> MeasureAsync(string kind, int count, Func<int, Task> command)
    {
        var perf = s_perfOnly is null || s_perfOnly == kind;
        var process = Process.GetCurrentProcess();
        var (prepared, reused) = (s_sessions?.Prepared ?? 0, s_sessions?.Reused ?? 0);
        s_sampler?.Start();
        var server = s_server is null ? null : await s_server.ReadAsync();
        var npgsql = NpgsqlCounts.Now;
        if (perf)
        {
            PerfControl.Enable();
        }

        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            await command(i);
        }

        if (perf)
        {
            PerfControl.Disable();
        }

        process.Refresh();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        var (commands, written, read) = NpgsqlCounts.Now - npgsql;
        var serverNs = server is null ? 0 : ServerCpu.Spent(server, await s_server!.ReadAsync());
        var cost = new Cost(
            allocated / (double)count,
            (process.TotalProcessorTime - cpu).TotalMicroseconds / count,
            ((s_sessions?.Prepared ?? 0) - prepared + (s_sessions?.Reused ?? 0) - reused) / (double)count,
            ((s_sessions?.Prepared ?? 0) - prepared) / (double)count,
            commands / (double)count, written / (double)count, read / (double)count, serverNs / 1000.0 / count);
        s_sampler?.Stop();
        return cost;
    }
}
