using Workflows.Engine.Model;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A timer that would fall due after the year 9999 (the last date .NET holds) is a finding at deploy when it is written
/// out, an incident naming its value when an expression gives it: here days past the calendar, a dated cycle, a cycle
/// whose first firing is past it and business durations (TimerRangeTests has the years-and-months cases).
/// </summary>
public sealed class TimerPastCalendarTests
{
    private static string Reminder(string kind, string value) => Process("p", $"""
        <bpmn:startEvent id="start"/>
        {UserTask("work")}
        <bpmn:boundaryEvent id="reminder" attachedToRef="work" cancelActivity="false">
          <bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>
        </bpmn:boundaryEvent>
        {UserTask("remind")}
        {Chain("start", "work")}{Chain("reminder", "remind")}
        """);

    [TestCase("timeDuration", "P3000000D")]
    [TestCase("timeCycle", "R3/2026-01-01T00:00:00Z/P9000Y")]
    [TestCase("timeDuration", "99999999999 business days")]
    [TestCase("timeDuration", "1e300 working hours")]
    public void A_written_out_timer_past_the_calendar_is_a_finding_naming_the_element(string kind, string value)
    {
        var h = new ProcessTestHarness();

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Reminder(kind, value)));

        var finding = refused!.Report.Errors.Single();
        Assert.That((finding.Code, finding.ElementId), Is.EqualTo(("TIMER_INVALID", "reminder")), finding.Message);
    }

    [TestCase("P9999Y", "after 9999-12-31")]
    [TestCase("P3000000D", "after 9999-12-31")]
    [TestCase("5000 business days", "longer than a service level or timer may be")]
    public async Task A_duration_an_expression_gives_past_the_calendar_is_an_incident_on_the_timer_and_the_rest_runs_on(string duration, string reason)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Reminder("timeDuration", "=dur"));

        var far = await h.StartAsync("p", Vars(("dur", duration)));
        var near = await h.StartAsync("p", Vars(("dur", "PT1H")));
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));

        var incident = (await far.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.AnyOf("work", "reminder"));
            Assert.That(incident.Message, Does.Contain(reason));
            Assert.That(await near.IncidentsAsync(), Is.Empty);
            Assert.That((await near.UserTasksAsync()).Select(t => t.ElementId), Has.Some.EqualTo("remind"), "the other instance's timer fired");
        }
    }

    [Test]
    public void A_cycle_whose_first_firing_from_now_is_past_the_calendar_is_refused_with_a_reason()
    {
        var plan = TimerSchedule.Plan(TimerKind.Cycle, "R/P8000Y", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan, Is.Null);
            Assert.That(error, Does.Contain("after 9999-12-31"));
        }
    }
}
