using System.Diagnostics;
using Workflows.Engine;
using Workflows.Engine.Sql;

namespace Workflows.Bench;

/// <summary>
/// What searchable variables (wf:searchable) add to a start's commit: the complaint shape started with and without two
/// declared (a number and a text), alternated, each on a fresh database. Reported: starts/s of one client (each start
/// one commit, so the commit's cost shows), index rows per start, storage per waiting instance, allocation per start in memory.
/// </summary>
internal static class SearchBenchmark
{
    private const int Starts = 1000;

    public static async Task RunAsync(SqlProvider provider, string server, int runs)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; store: {provider}; {Starts} sequential starts per run, {runs} runs of each, alternated");
        var results = new Dictionary<bool, List<(double PerSecond, double Rows, double Bytes)>> { [false] = [], [true] = [] };
        for (var run = 0; run < runs; run++)
        {
            foreach (var declared in new[] { false, true })
            {
                results[declared].Add(await RunOnceAsync(provider, server, declared));
            }
        }

        Console.WriteLine("| complaint | starts/s (median) | index rows per start | runtime bytes per waiting instance | allocated per start, in memory |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var declared in new[] { false, true })
        {
            var r = results[declared];
            static double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
            Console.WriteLine($"| {(declared ? "2 searchable" : "none declared")} | {Median(r.Select(x => x.PerSecond)):N0} | {r[0].Rows:N1} | {Median(r.Select(x => x.Bytes)):N0} B | {await AllocatedPerStartAsync(declared):N0} B |");
        }

        Console.WriteLine("runs (starts/s): " + string.Join("; ", results.Select(p => $"{(p.Key ? "searchable" : "none")} " + string.Join(" / ", p.Value.Select(x => x.PerSecond.ToString("N0", System.Globalization.CultureInfo.InvariantCulture))))));
    }

    private static string Complaint(bool declared)
    {
        var xml = Shapes.Read("complaint.bpmn");
        return declared
            ? xml.Replace("xmlns:zeebe=", "xmlns:wf=\"urn:workflows:bpmn:1.0\" xmlns:zeebe=", StringComparison.Ordinal)
                .Replace("""<bpmn:process id="complaint" isExecutable="true">""",
                    """<bpmn:process id="complaint" isExecutable="true"><bpmn:extensionElements><wf:searchable name="amount" type="number"/><wf:searchable name="customer"/></bpmn:extensionElements>""",
                    StringComparison.Ordinal)
            : xml;
    }

    private static readonly Dictionary<string, object?> s_variables = new() { ["amount"] = 1500, ["customer"] = "C-12345", ["channel"] = "shop" };

    private static async Task<(double, double, double)> RunOnceAsync(SqlProvider provider, string server, bool declared)
    {
        await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
        var engine = await SqlWorkflowEngine.CreateAsync(db.Store, PersistedBenchmark.Options());
        await engine.Deployments.DeployAsync(Complaint(declared));
        for (var i = 0; i < 100; i++)
        {
            await engine.Runtime.StartAsync(new StartInstance("complaint") { Variables = s_variables });
        }

        var before = await db.RuntimeBytesAsync();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Starts; i++)
        {
            await engine.Runtime.StartAsync(new StartInstance("complaint") { Variables = s_variables });
        }

        var perSecond = Starts / clock.Elapsed.TotalSeconds;
        var bytes = (await db.RuntimeBytesAsync() - before) / (double)Starts;
        var rows = await db.ScalarAsync("SELECT COUNT(*) FROM wf_variable_index") / (double)(Starts + 100);
        return (perSecond, rows, bytes);
    }

    private static async Task<long> AllocatedPerStartAsync(bool declared)
    {
        var engine = new WorkflowEngine();
        await engine.Deployments.DeployAsync(Complaint(declared));
        for (var i = 0; i < 1000; i++)
        {
            await engine.Runtime.StartAsync(new StartInstance("complaint") { Variables = s_variables });
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < 10_000; i++)
        {
            await engine.Runtime.StartAsync(new StartInstance("complaint") { Variables = s_variables });
        }

        return (GC.GetTotalAllocatedBytes(precise: true) - before) / 10_000;
    }
}
