using System.Diagnostics;
using Workflows.Engine;
using Workflows.Engine.Calendars;
using Workflows.Engine.Sql;

namespace Workflows.Bench;

/// <summary>
/// Issue 16's migration figure: 1,000 running complaints of the library (7 in 10 at registration, one at the front desk's
/// resolution, one at the back office's answer, one at the survey) migrated from version 1 to a version 2 with the
/// registration renamed (mapped), a new quality check and no survey, on a fresh database per run. Reported: the dry run
/// over all of them (pages of 200) and the migrate batch run to completion by the worker (chunks of 50), as wall time.
/// </summary>
internal static class MigrationBenchmark
{
    private const int Complaints = 1000;

    private static readonly MigrationPlan s_plan = new("complaint", 2) { Mappings = [new ElementMapping("register", "register_complaint")] };

    public static async Task RunAsync(SqlProvider provider, string server, int runs)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; store: {provider}; {Complaints} complaints per run, {runs} runs");
        var results = new List<(double DryRun, double Run, int Done, int Failed)>();
        for (var run = 0; run < runs; run++)
        {
            var result = await RunOnceAsync(provider, server);
            Console.WriteLine($"run {run + 1}: dry run {result.DryRun:N2} s, migration {result.Run:N2} s ({result.Done} migrated, {result.Failed} refused)");
            results.Add(result);
        }

        Console.WriteLine("| store | dry run of 1,000 (median) | migration of 1,000 (median) | instances/s | migrated / refused |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        var run1 = Shapes.Median(results.Select(r => r.Run));
        Console.WriteLine($"| {provider} | {Shapes.Median(results.Select(r => r.DryRun)):N2} s | {run1:N2} s | {Complaints / run1:N0} | {results[0].Done} / {results[0].Failed} |");
    }

    private static async Task<(double DryRun, double Run, int Done, int Failed)> RunOnceAsync(SqlProvider provider, string server)
    {
        await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
        var (engine, v1) = await LibraryComplaintsAsync(db.Store);
        var ids = new List<Guid>(Complaints);
        for (var i = 0; i < Complaints; i++)
        {
            var key = $"B-{i:D6}";
            ids.Add(await engine.Runtime.StartAsync(new StartInstance("complaint")
            {
                BusinessKey = key, Branch = "bench-01", Variables = new Dictionary<string, object?> { ["caseId"] = key, ["customerId"] = "c-" + key },
            }));
        }

        while (await engine.Worker.RunDueJobsAsync() > 0)
        {
        }

        for (var i = 0; i < ids.Count; i++)
        {
            if (i % 10 < 7)
            {
                continue;
            }

            await CompleteAsync(engine, ids[i], Form(i % 10 == 8 ? 5000 : 50));
            if (i % 10 == 9)
            {
                await CompleteAsync(engine, ids[i], new Dictionary<string, object?> { ["resolution"] = "refunded", ["refund"] = 50 });
                await CompleteAsync(engine, ids[i], new Dictionary<string, object?> { ["response"] = "sorry" });
            }
        }

        await engine.Deployments.DeployAsync(Workflows.Host.Tests.ComplaintVersions.Version2(v1));
        await engine.Rollouts.ApproveAsync("complaint", 2, "bench-reviewer", "the migration's target");
        await engine.Branches.UpdateAsync("bench-01", b => b with { Pins = new Dictionary<string, int> { ["complaint"] = 2 } });

        var clock = Stopwatch.StartNew();
        for (Guid? after = null; ;)
        {
            var page = await engine.Operations.PreviewMigrationAsync(s_plan, new BatchSelection { Branch = "bench-01" }, after, 200);
            if (page.Next is null)
            {
                break;
            }

            after = page.Next;
        }

        var dryRun = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var batch = await engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Migrate, new BatchSelection { Branch = "bench-01" }, "bench") { Migration = s_plan });
        while (await engine.Worker.RunBatchItemsAsync(50) > 0)
        {
        }

        var run = clock.Elapsed.TotalSeconds;
        var info = await engine.Operations.GetBatchAsync(batch.Id);
        return (dryRun, run, info.Done, info.Failed);
    }

    /// <summary>
    /// An engine on <paramref name="store"/> running the library's complaint journey as the host does: its decisions, a
    /// working-hours calendar, and branch <c>bench-01</c> pinned to version 1; the complaint-history lookup answers "no
    /// earlier complaint". Returns the engine and the journey's XML.
    /// </summary>
    internal static async Task<(WorkflowEngine Engine, string Complaint)> LibraryComplaintsAsync(SqlStoreOptions store)
    {
        var options = new WorkflowEngineOptions().AddHandler("complaint-history",
            (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(new Dictionary<string, object?> { ["earlierComplaints"] = 0, ["repeatComplaint"] = false }));
        var engine = await SqlWorkflowEngine.CreateAsync(store, options);
        var complaint = Processes.JourneyLibrary.All.Single(j => j.Name.EndsWith("complaints.bpmn", StringComparison.Ordinal)).Xml;
        await engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("group", DateTimeOffset.MinValue)
        {
            TimeZone = "Europe/Paris",
            Week = Enum.GetValues<DayOfWeek>().Where(d => d is not DayOfWeek.Saturday and not DayOfWeek.Sunday)
                .ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => [WorkingInterval.Parse("09:00-18:00")]),
        }, "bench");
        foreach (var decision in Processes.JourneyLibrary.Decisions)
        {
            // A branch runs only approved decision versions: unapproved, every complaint would stop at its first business rule task.
            foreach (var deployed in (await engine.Deployments.DeployAsync(decision.Xml)).Decisions)
            {
                await engine.Decisions.ApproveAsync(deployed.DecisionId, deployed.Version, "bench-reviewer", "the benchmark's standard");
            }
        }

        await engine.Deployments.DeployAsync(complaint);
        await engine.Rollouts.ApproveAsync("complaint", 1, "bench-reviewer", "the benchmark's standard"); // a branch pins only an approved version
        await engine.Branches.SaveAsync(new Branch("bench-01", "Bench") { Pins = new Dictionary<string, int> { ["complaint"] = 1 }, Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 150 } });
        return (engine, complaint);
    }

    private static Dictionary<string, object?> Form(int amount) => new() { ["category"] = "billing", ["amount"] = amount, ["summary"] = "overcharged" };

    private static async Task CompleteAsync(WorkflowEngine engine, Guid instance, Dictionary<string, object?> variables)
    {
        while (await engine.Worker.RunDueJobsAsync() > 0)
        {
        }

        await engine.Tasks.CompleteAsync((await engine.Tasks.GetOpenAsync(instance))[0].Id, variables);
    }
}
