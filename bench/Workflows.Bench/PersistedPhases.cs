using System.Diagnostics;
using Workflows.Engine;
using Workflows.Engine.Sql;

namespace Workflows.Bench;

/// <summary>
/// The persisted throughput's commands by kind (issue 19, round 13): the instances of a shape are started together, then
/// their open tasks read, then completed, step by step, each step by the same concurrent clients as the throughput, so
/// that each kind of command's CPU and bytes are counted alone (the throughput's figure is their sum, commands of every
/// kind mixed in its groups).
/// </summary>
/// <remarks>
/// The process's CPU time (every thread's: the clients', the group commit's flusher, the runtime's) and its allocated
/// bytes over each phase, divided by the phase's commands. On a loaded machine read the CPU as rough; the bytes are the
/// same from run to run. Under perf, <see cref="PerfControl"/> keeps the counts to the phases.
/// </remarks>
internal static class PersistedPhases
{
    public static async Task RunAsync(SqlProvider provider, string server, int runs, int clients, IReadOnlyList<(string File, string ProcessId, int Count)> shapes)
    {
        foreach (var (file, processId, count) in shapes)
        {
            var byPhase = new Dictionary<string, List<(int Commands, double CpuMicroseconds, double Bytes, double Rate)>>(StringComparer.Ordinal);
            var order = new List<string>();
            for (var r = 0; r < runs; r++)
            {
                await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
                var engine = await SqlWorkflowEngine.CreateAsync(db.Store, PersistedBenchmark.Options());
                await engine.Deployments.DeployAsync(Shapes.Read(file));
                for (var round = 0; round < 3; round++)
                {
                    // Warm-up: every command compiled, and optimized by the tiered JIT in the background (PersistedBenchmark).
                    await InstancesAsync(engine, processId, Math.Min(200, count / 10), clients, null);
                    await Task.Delay(500);
                }

                await InstancesAsync(engine, processId, count, clients, (phase, measured) =>
                {
                    if (!byPhase.TryGetValue(phase, out var list))
                    {
                        byPhase[phase] = list = [];
                        order.Add(phase);
                    }

                    list.Add(measured);
                });
            }

            Console.WriteLine();
            Console.WriteLine($"{file}: {count} instances, {clients} clients, each phase's commands run together (medians of {runs} runs)");
            Console.WriteLine();
            Console.WriteLine("| phase | commands | CPU per command | allocated per command | commands/s |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            double cpu = 0, bytes = 0;
            foreach (var phase in order)
            {
                var list = byPhase[phase];
                var (perCpu, perBytes) = (Shapes.Median(list.Select(m => m.CpuMicroseconds)), Shapes.Median(list.Select(m => m.Bytes)));
                cpu += perCpu * list[0].Commands / count;
                bytes += perBytes * list[0].Commands / count;
                Console.WriteLine($"| {phase} | {list[0].Commands:N0} | {perCpu:N0} µs | {perBytes:N0} B | {Shapes.Median(list.Select(m => m.Rate)):N0} |");
            }

            Console.WriteLine($"| per instance, all phases | | {cpu:N0} µs | {bytes:N0} B | |");
        }
    }

    private static async Task InstancesAsync(WorkflowEngine engine, string processId, int count, int clients, Action<string, (int, double, double, double)>? report)
    {
        var variables = new Dictionary<string, object?> { ["amount"] = 1500 };
        var ids = new Guid[count];
        await PhaseAsync("start", count, clients, async i => ids[i] = await engine.Runtime.StartAsync(new StartInstance(processId) { Variables = variables }), report);
        for (var step = 1; ; step++)
        {
            var open = new IReadOnlyList<UserTaskInfo>[count];
            await PhaseAsync($"read the open tasks ({step})", count, clients, async i => open[i] = await engine.Tasks.GetOpenAsync(ids[i]), report);
            var tasks = open.SelectMany(t => t).ToList();
            if (tasks.Count == 0)
            {
                return;
            }

            var elements = string.Join(", ", tasks.Select(t => t.ElementId).Distinct().Order(StringComparer.Ordinal).Take(3));
            await PhaseAsync($"complete {elements}", tasks.Count, clients, i => engine.Tasks.CompleteAsync(tasks[i].Id), report);
        }
    }

    private static async Task PhaseAsync(string phase, int commands, int clients, Func<int, Task> command, Action<string, (int, double, double, double)>? report)
    {
        var process = Process.GetCurrentProcess();
        var next = -1;
        if (report is not null)
        {
            PerfControl.Enable();
        }

        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < commands; i = Interlocked.Increment(ref next))
            {
                await command(i);
            }
        })));
        var elapsed = watch.Elapsed;
        if (report is not null)
        {
            PerfControl.Disable();
        }

        process.Refresh();
        report?.Invoke(phase, (commands, (process.TotalProcessorTime - cpu).TotalMicroseconds / commands,
            (GC.GetTotalAllocatedBytes(precise: true) - bytes) / (double)commands, commands / elapsed.TotalSeconds));
    }
}
