using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>A timer cycle repeats no more often than <see cref="ExecutionLimits.MinTimerCycle"/>: refused at deploy, an incident at run time.</summary>
public sealed class TimerCycleLimitTests
{
    private static string Timer(string kind, string value) => $"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>";

    private static string Reminder(string cycle) => Process("p", $"""
        <bpmn:startEvent id="start"/>
        {UserTask("work")}
        <bpmn:boundaryEvent id="reminder" attachedToRef="work" cancelActivity="false">{Timer("timeCycle", cycle)}</bpmn:boundaryEvent>
        {UserTask("remind")}
        <bpmn:endEvent id="end"/>
        {Chain("start", "work", "end")}{Chain("reminder", "remind")}
        """);

    [TestCase("R/PT0.01S")]
    [TestCase("R5/PT0.5S")]
    [TestCase("R/2026-01-01T00:00:00Z/PT0.001S")]
    public void A_static_cycle_shorter_than_the_minimum_is_refused_at_deploy_naming_the_minimum(string cycle)
    {
        var h = new ProcessTestHarness();

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Reminder(cycle)));

        var finding = refused!.Report.Errors.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finding.Code, Is.EqualTo("TIMER_CYCLE_TOO_SHORT"));
            Assert.That(finding.ElementId, Is.EqualTo("reminder"));
            Assert.That(finding.Message, Does.Contain("WorkflowEngineOptions.Limits.MinTimerCycle = 00:00:01"));
        }
    }

    [Test]
    public void A_static_start_cycle_shorter_than_the_minimum_is_refused_at_deploy()
    {
        var h = new ProcessTestHarness();

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Process("ticker", $"""
            <bpmn:startEvent id="tick">{Timer("timeCycle", "R/PT0.01S")}</bpmn:startEvent>
            <bpmn:endEvent id="end"/>
            {Chain("tick", "end")}
            """)));

        Assert.That(refused!.Report.Errors.Select(e => (e.Code, e.ElementId)), Is.EqualTo(new[] { ("TIMER_CYCLE_TOO_SHORT", "tick") }));
    }

    [Test]
    public void A_start_cycle_an_expression_gives_at_deploy_shorter_than_the_minimum_is_refused()
    {
        var h = new ProcessTestHarness();

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Process("ticker", $"""
            <bpmn:startEvent id="tick">{Timer("timeCycle", "=\"R/PT0.\" + \"01S\"")}</bpmn:startEvent>
            <bpmn:endEvent id="end"/>
            {Chain("tick", "end")}
            """)));

        var finding = refused!.Report.Errors.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finding.Code, Is.EqualTo("TIMER_CYCLE_TOO_SHORT"));
            Assert.That(finding.Message, Does.Contain("MinTimerCycle"));
        }
    }

    [Test]
    public async Task A_cycle_an_expression_gives_at_run_time_shorter_than_the_minimum_is_an_incident_naming_the_minimum()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Reminder("=cycle"));

        var fast = await h.StartAsync("p", Vars(("cycle", "R/PT0.01S")));
        var slow = await h.StartAsync("p", Vars(("cycle", "R3/PT1H")));
        await h.AdvanceTimeAsync(TimeSpan.FromSeconds(2)); // a short step: without the minimum, 200 firings, not a hang

        var incident = (await fast.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.AnyOf("work", "reminder"));
            Assert.That(incident.Message, Does.Contain("WorkflowEngineOptions.Limits.MinTimerCycle"));
            Assert.That((await fast.UserTasksAsync()).Select(t => t.ElementId), Has.None.EqualTo("remind"), "no timer was set");
            Assert.That(await slow.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task The_minimum_is_a_setting_a_cycle_at_it_runs()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MinTimerCycle = TimeSpan.FromMinutes(30));
        Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Reminder("R3/PT10M")));
        await h.DeployAsync(Reminder("R3/PT30M"));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));

        Assert.That((await instance.UserTasksAsync()).Count(t => t.ElementId == "remind"), Is.EqualTo(3));
    }

    [Test]
    public void A_minimum_that_is_not_positive_is_refused_naming_the_setting()
    {
        var options = new WorkflowEngineOptions();
        options.Limits.MinTimerCycle = TimeSpan.Zero;

        Assert.That(options.Check(), Has.Some.Contains("WorkflowEngineOptions.Limits.MinTimerCycle must be positive"));
    }
}
