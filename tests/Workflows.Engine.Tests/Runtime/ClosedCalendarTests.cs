using Workflows.Engine.Calendars;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A calendar layer with no working time in its week, saved before such layers were refused (review13 F13): the stretch it
/// is in force passes no working time, so clocks over it are due after it and every view of them answers; a chain that
/// never has working time again makes a clock's start an incident on its element, never a failed command.
/// </summary>
public sealed class ClosedCalendarTests
{
    private static readonly DateTimeOffset s_thursday = new(2025, 1, 9, 0, 0, 0, TimeSpan.Zero); // the day before CalendarChangeTests.Friday

    private static Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> Closed() =>
        Enum.GetValues<DayOfWeek>().ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => []);

    // Open on weekdays, closed from Thursday, open again from Monday when reopens is set.
    private static ProcessTestHarness Harness(bool reopens) => new(CalendarChangeTests.Friday, options =>
    {
        options.Calendars.Add(new CalendarLayer("branch", DateTimeOffset.MinValue) { TimeZone = "UTC", Week = SlaClockTests.Weekdays() });
        options.Calendars.Add(new CalendarLayer("branch", s_thursday) { TimeZone = "UTC", Week = Closed() });
        if (reopens)
        {
            options.Calendars.Add(new CalendarLayer("branch", CalendarChangeTests.Monday) { TimeZone = "UTC", Week = SlaClockTests.Weekdays() });
        }
    });

    [Test]
    public async Task A_clock_started_while_a_closed_week_is_in_force_is_due_after_it_and_its_views_answer()
    {
        var h = Harness(reopens: true);
        await h.DeployAsync(CalendarChangeTests.Journey);

        var instance = await h.StartAsync("p");
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2)); // still closed: nothing has been used
        var clock = (await instance.ClocksAsync()).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "answer" }));
            Assert.That(clock.TargetAt, Is.EqualTo(new DateTimeOffset(2025, 1, 14, 17, 0, 0, TimeSpan.Zero)), "16 working hours from Monday 09:00");
            Assert.That(clock.Remaining, Is.EqualTo(TimeSpan.FromHours(16)), "the closed stretch passes no working time");
            Assert.That(clock.Problem, Is.Null);
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_clock_on_a_chain_that_never_has_working_time_again_is_an_incident_on_its_element_not_a_failed_start()
    {
        var h = Harness(reopens: false);
        await h.DeployAsync(CalendarChangeTests.Journey);

        var instance = await h.StartAsync("p");
        var incident = (await instance.IncidentsAsync()).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("answer"));
            Assert.That(incident.Message, Does.Contain("clock of").And.Contain("cannot start").And.Contain("no working time"));
        }
    }

    [Test]
    public async Task A_script_whose_feel_nests_too_deep_is_named_for_its_feel_not_as_a_missing_script()
    {
        var deep = "=" + new string('(', 100) + "1" + new string(')', 100);
        var xml = Process("deep", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:scriptTask id="sc"><bpmn:extensionElements><zeebe:script expression="{deep}" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            {Chain("s", "sc")}
            """);

        var report = await new WorkflowEngine().Deployments.ValidateAsync(xml);

        Assert.That(report.Findings.Where(f => f.ElementId == "sc").Select(f => f.Code), Is.EqualTo(new[] { "FEEL_SYNTAX" }));
    }
}
