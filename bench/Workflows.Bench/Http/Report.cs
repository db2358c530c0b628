using System.Globalization;

namespace Workflows.Bench.Http;

/// <summary>One measure of one run: its rate (when it has one), latency percentiles, counts and the load it ran under.</summary>
internal sealed record Measure(string Name, string Unit, double? Rate, double P50, double P99, long Ok, long Errors, long Empty, string? FirstError, string Load,
    double? HostCpuMs = null, double? DriverCpuMs = null, double? ServerCpuMs = null)
{
    /// <summary>
    /// The most steps a second this machine's cores could give if the host, the driver and the database's server spent
    /// on each exactly what they spent here and nothing else ran: the ceiling of a CPU-bound phase on one machine.
    /// </summary>
    public double? Ceiling => HostCpuMs is { } host && DriverCpuMs is { } driver ? Environment.ProcessorCount * 1000 / (host + driver + (ServerCpuMs ?? 0)) : null;

    /// <summary>As <see cref="Ceiling"/> with the driver on a machine of its own: the host (and the database's server) alone on these cores.</summary>
    public double? HostCeiling => HostCpuMs is { } host ? Environment.ProcessorCount * 1000 / (host + (ServerCpuMs ?? 0)) : null;
}

/// <summary>Everything one run measured, in the order it measured it.</summary>
internal sealed class RunResult
{
    public List<Measure> Measures { get; } = [];

    public double FlushBefore { get; set; }

    public double FlushAfter { get; set; }

    public long OpenTasks { get; set; }

    public string Verification { get; set; } = "";

    // cpu: the CPU time of the host, the driver and the database's server over the phase, when measured; reported per successful step.
    public void Add(string name, string unit, Tally tally, TimeSpan elapsed, string load, CpuSpent? cpu = null)
    {
        var latencies = tally.Latencies;
        double? Each(TimeSpan? spent) => spent is { } time && tally.Ok > 0 ? time.TotalMilliseconds / tally.Ok : null;
        var measure = new Measure(name, unit, tally.Ok / elapsed.TotalSeconds, P(latencies, 0.5), P(latencies, 0.99), tally.Ok, tally.Errors, tally.Empty, tally.FirstError, load,
            Each(cpu?.Host), Each(cpu?.Driver), Each(cpu?.Server));
        Measures.Add(measure);
        var cpuText = measure.HostCpuMs is { } ms
            ? Machine.Invariant($"; host CPU {ms:N2} ms each, driver {measure.DriverCpuMs:N2}{(measure.ServerCpuMs is { } server ? Machine.Invariant($", database server {server:N2}") : "")}; {Environment.ProcessorCount} cores at that CPU: {measure.Ceiling:N0}/s, {measure.HostCeiling:N0}/s without the driver")
            : "";
        Console.WriteLine(Machine.Invariant($"  {name}: {measure.Rate:N0} {unit}, p50 {measure.P50:N1} ms, p99 {measure.P99:N1} ms ({tally.Ok:N0} ok, {tally.Errors} failed{(tally.Empty > 0 ? $", {tally.Empty} empty next-task" : "")}{cpuText}; load {load})"));
        if (tally.FirstError is not null)
        {
            Console.WriteLine($"    first failure: {tally.FirstError}");
        }
    }

    public void AddLatencies(string name, List<double> sorted) =>
        Measures.Add(new Measure(name, "", null, P(sorted, 0.5), P(sorted, 0.99), sorted.Count, 0, 0, null, ""));

    private static double P(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : Shapes.Percentile(sorted, p);
}

/// <summary>The runs' medians as a Markdown table, with every run's own figure beside it.</summary>
internal static class Report
{
    public static void Print(HttpLoadOptions options, List<RunResult> runs)
    {
        Console.WriteLine();
        Console.WriteLine(Machine.Invariant($"Medians of {runs.Count} runs ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average now {Machine.LoadAverage()}); store {options.StoreName}"));
        Console.WriteLine(Machine.Invariant($"fdatasync/s, before / after each run: {string.Join(", ", runs.Select(r => $"{r.FlushBefore:N0} / {r.FlushAfter:N0}"))}; median {Shapes.Median(runs.SelectMany(r => new[] { r.FlushBefore, r.FlushAfter })):N0}"));
        Console.WriteLine();
        Console.WriteLine("| measure | rate (median) | p50 | p99 | host CPU each (median) | driver CPU each | database server CPU each | ceiling of the cores at that CPU (without the driver) | rate per run | failed | load average (1, 5, 15 min) per run |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
        foreach (var name in runs[0].Measures.Select(m => m.Name))
        {
            var measures = runs.Select(r => r.Measures.FirstOrDefault(m => m.Name == name)).OfType<Measure>().ToList();
            var rate = measures[0].Rate is null ? "" : $"{Shapes.Median(measures.Select(m => m.Rate!.Value)):N0} {measures[0].Unit}";
            var perRun = measures[0].Rate is null ? "" : string.Join(" / ", measures.Select(m => m.Rate!.Value.ToString("N0", CultureInfo.InvariantCulture)));
            var failed = measures.Sum(m => m.Errors) + (measures.Sum(m => m.Empty) > 0 ? $" ({measures.Sum(m => m.Empty)} empty)" : "");
            var loads = string.Join(" / ", measures.Select(m => m.Load).Where(l => l.Length > 0));
            string Median(Func<Measure, double?> of, string format, string unit) =>
                measures.All(m => of(m) is not null) ? Shapes.Median(measures.Select(m => of(m)!.Value)).ToString(format, CultureInfo.InvariantCulture) + unit : "";
            var ceiling = Median(m => m.Ceiling, "N0", "/s") is { Length: > 0 } c ? $"{c} ({Median(m => m.HostCeiling, "N0", "/s")})" : "";
            Console.WriteLine(Machine.Invariant($"| {name} | {rate} | {Shapes.Median(measures.Select(m => m.P50)):N1} ms | {Shapes.Median(measures.Select(m => m.P99)):N1} ms | {Median(m => m.HostCpuMs, "N2", " ms")} | {Median(m => m.DriverCpuMs, "N2", " ms")} | {Median(m => m.ServerCpuMs, "N2", " ms")} | {ceiling} | {perRun} | {failed} | {loads} |"));
        }

        Console.WriteLine();
        foreach (var (run, index) in runs.Select((r, i) => (r, i + 1)))
        {
            Console.WriteLine(options.StartsOnly ? $"run {index}: starts only (no fill, lists or agents)" : $"run {index}: {run.OpenTasks:N0} open tasks counted; {run.Verification}");
        }
    }
}
