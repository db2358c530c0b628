using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A timer that would fall due after the last date .NET holds (9999-12-31) is the element's finding at deploy or its
/// incident at run time, naming the value: never an unhandled error (it was a 500, and a worker failing for ever).
/// </summary>
public sealed class TimerRangeTests
{
    private static string Reminder(string kind, string value) => Process("p", $"""
        <bpmn:startEvent id="start"/>
        {UserTask("work")}
        <bpmn:boundaryEvent id="reminder" attachedToRef="work" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        {UserTask("remind")}
        <bpmn:endEvent id="end"/>
        {Chain("start", "work", "end")}{Chain("reminder", "remind")}
        """);

    [TestCase("timeDuration", "P9999Y")]
    [TestCase("timeDuration", "P800000M")]
    [TestCase("timeCycle", "R/P9999Y")]
    public void A_static_timer_past_the_last_date_is_refused_at_deploy_naming_it(string kind, string value)
    {
        var h = new ProcessTestHarness();

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Reminder(kind, value)));

        Assert.That(refused!.Report.Errors.Select(e => (e.Code, e.ElementId)), Is.EqualTo(new[] { ("TIMER_INVALID", "reminder") }));
    }

    [Test]
    public async Task A_timer_an_expression_puts_past_the_last_date_is_an_incident_on_its_element_naming_the_value()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Reminder("timeDuration", "=duration(dur)"));

        var instance = await h.StartAsync("p", Vars(("dur", "P9999Y")));

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("work"));
            Assert.That(incident.Message, Does.Contain("P9999Y").And.Contain("9999-12-31"));
        }
    }

    [Test]
    public async Task A_cycle_whose_next_firing_falls_past_the_last_date_ends_after_the_firing_it_can_hold()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Reminder("timeCycle", "R/P5000Y"));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromDays(366 * 5000)); // the first firing, in year 7025; the next would be past 9999

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "remind", "work" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That((await h.Engine.Inspection.InspectAsync(instance.Id)).WaitPoints.Where(w => w.Kind == "timer"), Is.Empty, "the cycle ended");
        }
    }
}
