using Workflows.Engine;
using Workflows.Engine.Calendars;

namespace Workflows.Host.Features;

/// <summary>
/// The embedded quick start's world: two branches on a French calendar (group → country → branch), each pinned to
/// the journey library's standard versions, with the front desk's authority for complaints. Created once, when
/// the database has no branch yet.
/// </summary>
internal static class Demo
{
    public const string Branch = "paris-01";
    public const string OtherBranch = "lyon-01";

    public static async Task SeedAsync(WorkflowEngine engine, IReadOnlyList<DeployedProcess> standard, CancellationToken ct)
    {
        if ((await engine.Branches.GetAllAsync(ct)).Count > 0)
        {
            return;
        }

        IReadOnlyList<WorkingInterval> Day(params string[] intervals) => intervals.Select(WorkingInterval.Parse).ToList();
        var weekdays = Enum.GetValues<DayOfWeek>().Where(d => d is not DayOfWeek.Saturday and not DayOfWeek.Sunday)
            .ToDictionary(d => d, _ => Day("09:00-12:30", "13:30-18:00"));
        await engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("group", DateTimeOffset.MinValue)
        {
            TimeZone = "Europe/Paris",
            Week = weekdays,
            YearlyHolidays = [(1, 1), (12, 25)],
        }, "demo", ct);
        await engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("country:FR", DateTimeOffset.MinValue)
        {
            YearlyHolidays = [(5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11)],
        }, "demo", ct);
        await engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("branch:" + Branch, DateTimeOffset.MinValue)
        {
            Week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> { [DayOfWeek.Saturday] = Day("09:00-12:00") },
        }, "demo", ct);
        await engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("branch:" + OtherBranch, DateTimeOffset.MinValue), "demo", ct);

        var pins = standard.ToDictionary(p => p.ProcessId, p => p.Version, StringComparer.Ordinal);
        await engine.Branches.SaveAsync(new Branch(Branch, "Paris Opéra")
        {
            Calendar = $"group/country:FR/branch:{Branch}",
            Pins = pins,
            Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 150 },
        }, ct);
        await engine.Branches.SaveAsync(new Branch(OtherBranch, "Lyon Part-Dieu")
        {
            Calendar = $"group/country:FR/branch:{OtherBranch}",
            Pins = pins,
            Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 100 },
        }, ct);
    }
}
