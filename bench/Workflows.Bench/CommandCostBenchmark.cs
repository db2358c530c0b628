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
/// SQLite's statements are not counted here (the driver reports none): count its <c>sqlite3_prepare_v2</c> and
/// <c>sqlite3_step</c> calls from outside, e.g. with <c>perf probe -x libe_sqlite3.so sqlite3_prepare_v2</c> and
/// <c>perf stat</c> over two invocations that differ only in <c>--commands</c>.
/// </remarks>
internal static class CommandCostBenchmark
{
    public static async Task RunAsync(SqlProvider provider, string server, int commands, int warmUp)
    {
        await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
        var (engine, _) = await MigrationBenchmark.LibraryComplaintsAsync(db.Store);

        // Every kind of command first, so that each is compiled and tiered before it is counted.
        for (var round = 0; round < 3; round++)
        {
            await CycleAsync(engine, $"W{round}", warmUp / 3);
            await Task.Delay(500); // the tiered JIT's background compilation
        }

        var started = new List<Guid>();
        var starts = await MeasureAsync(commands, async i => started.Add(await WalPagesBenchmark.StartAsync(engine, $"M-{i:D6}")));
        var registered = await WalPagesBenchmark.OpenTasksAsync(engine, started);
        var completions = await MeasureAsync(commands, i => engine.Tasks.CompleteAsync(registered[i], RegistrationForm, "agent"));
        var resolved = await WalPagesBenchmark.OpenTasksAsync(engine, started);
        var claims = await MeasureAsync(commands, i => engine.Tasks.ClaimAsync(resolved[i], "agent"));

        Console.WriteLine($"{provider}, {warmUp} complaints started, completed and claimed before; then {commands} commands of each kind one at a time");
        Console.WriteLine();
        Console.WriteLine("| per command | start (complaint received → registration task) | completion (registration → front-desk task) | claim of a task |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| bytes allocated | {starts.Bytes:N0} | {completions.Bytes:N0} | {claims.Bytes:N0} |");
        Console.WriteLine($"| CPU time (rough on a shared machine) | {starts.CpuMicroseconds:N0} µs | {completions.CpuMicroseconds:N0} µs | {claims.CpuMicroseconds:N0} µs |");
    }

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
    }

    private sealed record Cost(double Bytes, double CpuMicroseconds);

    private static async Task<Cost> MeasureAsync(int count, Func<int, Task> command)
    {
        var process = Process.GetCurrentProcess();
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            await command(i);
        }

        process.Refresh();
        return new Cost(
            (GC.GetTotalAllocatedBytes(precise: true) - bytes) / (double)count,
            (process.TotalProcessorTime - cpu).TotalMicroseconds / count);
    }
}
