global using NUnit.Framework;
using Workflows.Engine;
using Workflows.Engine.Calendars;
using Workflows.Engine.Testing;
using Workflows.Processes.Systems;

namespace Workflows.Processes.Tests;

/// <summary>
/// A harness with the whole journey library deployed, its handlers on the deterministic demo systems, and one
/// branch (Lyon, front-desk authority 150) on a Monday-to-Friday 09:00–17:00 UTC calendar. The clock starts on
/// Monday 2025-01-06 at 09:00.
/// </summary>
internal sealed class Journey
{
    public const string Branch = "lyon-01";

    private Journey(ProcessTestHarness harness) => H = harness;

    public ProcessTestHarness H { get; }

    public static async Task<Journey> StartAsync()
    {
        var systems = JourneySystems.Demo();
        var harness = new ProcessTestHarness(configure: options => options.AddJourneyHandlers(systems));
        var weekdays = Enum.GetValues<DayOfWeek>().Where(d => d is not DayOfWeek.Saturday and not DayOfWeek.Sunday)
            .ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => [WorkingInterval.Parse("09:00-17:00")]);
        await harness.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("group", DateTimeOffset.MinValue) { TimeZone = "UTC", Week = weekdays });
        await harness.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("branch:" + Branch, DateTimeOffset.MinValue));
        foreach (var decision in JourneyLibrary.Decisions)
        {
            // Approved, as the host's journey library approves them at start: a branch runs approved decisions only.
            foreach (var deployed in (await harness.DeployAsync(decision.Xml)).Decisions)
            {
                await harness.ApproveDecisionAsync(deployed.DecisionId, deployed.Version);
            }
        }

        foreach (var journey in JourneyLibrary.All)
        {
            await harness.DeployAsync(journey.Xml);
        }

        await harness.Engine.Branches.SaveAsync(new Branch(Branch, "Lyon Part-Dieu")
        {
            Calendar = "group/branch:" + Branch,
            Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 150 },
        });
        return new Journey(harness);
    }

    /// <summary>Starts a journey for the branch, with the business key as its <c>caseId</c>.</summary>
    public async Task<ProcessInstanceHandle> StartAsync(string processId, string caseId, string customerId = "cust-1", IReadOnlyDictionary<string, object?>? variables = null)
    {
        var all = new Dictionary<string, object?>(variables ?? new Dictionary<string, object?>()) { ["caseId"] = caseId, ["customerId"] = customerId };
        var id = await H.Engine.Runtime.StartAsync(new StartInstance(processId) { BusinessKey = caseId, Branch = Branch, Variables = all });
        return H.Instance(id);
    }

    /// <summary>The one instance of the back-office process that the handoff of <paramref name="caseId"/> started.</summary>
    public async Task<ProcessInstanceHandle> BackOfficeAsync(string processId, string caseId)
    {
        await H.DeliverMessagesAsync();
        var ids = await H.Engine.Queries.FindInstancesAsync(processId, caseId);
        Assert.That(ids, Has.Count.EqualTo(1), $"one {processId} instance for {caseId}");
        return H.Instance(ids[0]);
    }

    public static async Task<UserTaskInfo> TaskAsync(ProcessInstanceHandle instance, string elementId) =>
        (await instance.UserTasksAsync()).Single(t => t.ElementId == elementId);

    public static async Task<SlaClockInfo> ClockAsync(ProcessInstanceHandle instance, string elementId, string kind = "sla", int level = 0) =>
        (await instance.ClocksAsync()).Single(c => c.ElementId == elementId && c.Kind == kind && c.Level == level);

    public static Dictionary<string, object?> Vars(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);
}
