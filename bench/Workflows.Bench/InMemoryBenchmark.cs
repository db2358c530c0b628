using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Workflows.Engine;

namespace Workflows.Bench;

// The in-memory engine benchmark (issue 2): three shapes, on this engine and on bpmn-engine (the
// open-source JavaScript BPMN engine) in the same run, medians of several timed runs.
//   dotnet run -c Release --project bench/Workflows.Bench -- inmemory [--runs 5] [--shapes complaint,…]
// CPU per instance is the process's over the timed runs (median): rates move with the machine's load, CPU less.
internal static class InMemoryBenchmark
{
    public static async Task RunAsync(int runs, string? only = null)
    {
        var root = Shapes.RepositoryRoot();
        var shapes = new (string File, string ProcessId, int Ours, int Peer)[]
        {
            ("straight-through.bpmn", "straightThrough", 50_000, 200),
            ("complaint.bpmn", "complaint", 20_000, 100),
            ("parallel-10.bpmn", "parallel10", 20_000, 100),
        };
        var chosen = only?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
        Console.WriteLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}  Runs per figure: {runs} (median), after one warm-up run");
        Console.WriteLine();
        Console.WriteLine("| shape | this engine (instances/s) | bpmn-engine (instances/s) | ratio | allocated per instance | CPU per instance |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (file, processId, ours, peer) in shapes)
        {
            if (chosen is not null && !chosen.Contains(Path.GetFileNameWithoutExtension(file)))
            {
                continue;
            }

            var xml = Shapes.Read(file);
            var (rate, allocated, cpu) = await MeasureAsync(xml, processId, ours, runs);
            var peerRate = Peer(root, file, "throughput", peer, runs).GetProperty("instancesPerSecond").GetDouble();
            Console.WriteLine($"| {file} | {rate:N0} | {peerRate:N1} | {rate / peerRate:N0}x | {allocated:N0} B | {cpu:N1} µs |");
        }

        if (chosen is not null && !chosen.Contains("memory"))
        {
            return;
        }

        var waiting = await WaitingInstanceBytesAsync(Shapes.Read("complaint.bpmn"), 20_000);
        var peerWaiting = Peer(root, "complaint.bpmn", "memory", 500, 1).GetProperty("bytesPerWaitingInstance").GetDouble();
        Console.WriteLine();
        Console.WriteLine("| memory held per waiting complaint instance | this engine | bpmn-engine | ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| managed heap growth / instance | {waiting:N0} B | {peerWaiting:N0} B | {peerWaiting / waiting:N0}x less |");
    }

    private static async Task<(double InstancesPerSecond, double BytesAllocatedPerInstance, double CpuMicrosecondsPerInstance)> MeasureAsync(string xml, string processId, int count, int runs)
    {
        var engine = new WorkflowEngine(new WorkflowEngineOptions().AddHandler("work", (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(null)));
        await engine.Deployments.DeployAsync(xml);
        var variables = new Dictionary<string, object?> { ["amount"] = 1500 };

        using var process = Process.GetCurrentProcess();

        async Task<(double, double, double)> TimedAsync()
        {
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                var id = await engine.Runtime.StartAsync(new StartInstance(processId) { Variables = variables });
                // User tasks are completed as soon as they open.
                for (var tasks = await engine.Tasks.GetOpenAsync(id); tasks.Count > 0; tasks = await engine.Tasks.GetOpenAsync(id))
                {
                    foreach (var task in tasks)
                    {
                        await engine.Tasks.CompleteAsync(task.Id);
                    }
                }
            }

            watch.Stop();
            process.Refresh();
            return (count / watch.Elapsed.TotalSeconds, (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)count,
                (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / count);
        }

        await TimedAsync();
        var results = new List<(double Rate, double Allocated, double Cpu)>();
        for (var r = 0; r < runs; r++)
        {
            results.Add(await TimedAsync());
        }

        return (Shapes.Median(results.Select(r => r.Rate)), Shapes.Median(results.Select(r => r.Allocated)), Shapes.Median(results.Select(r => r.Cpu)));
    }

    // Everything the engine keeps for a waiting instance (state, task row, history so far), over the heap's growth.
    private static async Task<double> WaitingInstanceBytesAsync(string xml, int count)
    {
        var engine = new WorkflowEngine();
        await engine.Deployments.DeployAsync(xml);
        var variables = new Dictionary<string, object?> { ["amount"] = 1500 };
        await engine.Runtime.StartAsync(new StartInstance("complaint") { Variables = variables });
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < count; i++)
        {
            await engine.Runtime.StartAsync(new StartInstance("complaint") { Variables = variables });
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(engine);
        return (after - before) / (double)count;
    }

    private static JsonElement Peer(string root, string shape, string mode, int count, int runs)
    {
        var peerDirectory = Path.Combine(root, "bench", "peer");
        if (!Directory.Exists(Path.Combine(peerDirectory, "node_modules")))
        {
            Run("npm", "ci --no-audit --no-fund", peerDirectory);
        }

        var shapePath = Path.Combine(root, "bench", "Workflows.Bench", "Shapes", shape);
        var output = Run("node", $"--expose-gc run.mjs \"{shapePath}\" {mode} {count} {runs}", peerDirectory);
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    private static string Run(string file, string arguments, string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}");
    }

}
