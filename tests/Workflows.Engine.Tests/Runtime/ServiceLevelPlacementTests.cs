using Workflows.Engine.Calendars;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>Service levels on the elements analysts put them on: multi-instance activities and timer events.</summary>
public sealed class ServiceLevelPlacementTests
{
    private static string ApprovalsWithSla(string scope) => Process("mi", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:userTask id="approve" name="Approve">
          <bpmn:extensionElements><wf:sla target="PT4H" {scope}/></bpmn:extensionElements>
          <bpmn:multiInstanceLoopCharacteristics isSequential="false">
            <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=approvers" inputElement="approver"/></bpmn:extensionElements>
          </bpmn:multiInstanceLoopCharacteristics>
        </bpmn:userTask>
        {UserTask("after")}
        {Chain("start", "approve", "after")}
        """);

    private static string TimerThen(string duration) => Process("wait", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:intermediateCatchEvent id="pause"><bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        {UserTask("follow_up")}
        {Chain("start", "pause", "follow_up")}
        """);

    [TestCase("", 3)]
    [TestCase("scope=\"inner\"", 3)]
    [TestCase("scope=\"body\"", 1)]
    [TestCase("scope=\"both\"", 4)]
    public async Task An_sla_on_a_multi_instance_activity_runs_the_clocks_its_scope_asks_for(string scope, int clocks)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(ApprovalsWithSla(scope));

        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob", "cid" })));

        var running = await instance.ClocksAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(running, Has.Count.EqualTo(clocks));
            Assert.That(running.Select(c => c.State), Is.All.EqualTo(SlaState.Running));
            Assert.That(running.Select(c => c.ElementId), Is.All.EqualTo("approve"));
        }
    }

    [Test]
    public async Task Each_inner_instance_meets_or_breaches_its_own_clock_and_its_task_shows_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(ApprovalsWithSla(""));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob" })));
        var tasks = await instance.UserTasksAsync();

        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        await h.Engine.Tasks.CompleteAsync(tasks[0].Id);
        await h.AdvanceTimeAsync(TimeSpan.FromHours(4));

        var states = (await instance.ClocksAsync()).Select(c => c.State).Order().ToList();
        var open = (await instance.UserTasksAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.Select(t => t.SlaDueAt), Is.All.EqualTo(ProcessTestHarness.DefaultStart.AddHours(4)));
            Assert.That(states, Is.EqualTo(new[] { SlaState.Met, SlaState.Breached }.Order()));
            Assert.That(open.SlaState, Is.EqualTo(SlaState.Breached));
        }
    }

    [Test]
    public async Task An_unknown_sla_scope_is_refused_at_deploy()
    {
        var h = new ProcessTestHarness();

        var report = await h.Engine.Deployments.ValidateAsync(ApprovalsWithSla("scope=\"everyone\""));

        Assert.That(report.Findings.Select(f => f.Code), Does.Contain("SLA_SCOPE_INVALID"));
    }

    [TestCase("16 working hours", "2025-01-07T17:00:00Z")]
    [TestCase("PT16H working", "2025-01-07T17:00:00Z")]
    [TestCase("2 business days", "2025-01-08T17:00:00Z")]
    [TestCase("PT16H", "2025-01-07T01:00:00Z")]
    public async Task A_timer_with_a_business_duration_is_due_at_that_business_time_on_the_default_calendar(string duration, string due)
    {
        var h = new ProcessTestHarness(); // Monday 09:00, office hours 09:00-17:00
        await h.DeployAsync(TimerThen(duration));

        var instance = await h.StartAsync("wait");

        var dueAt = DateTimeOffset.Parse(due, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(await h.Engine.Worker.GetNextTimerDueAsync(), Is.EqualTo(dueAt));
        await h.AdvanceTimeAsync(dueAt - h.Clock.GetUtcNow() - TimeSpan.FromMinutes(1));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "pause" }));
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "follow_up" }));
    }

    [Test]
    public async Task A_timer_with_a_business_duration_runs_on_the_calendar_the_instance_names()
    {
        var h = new ProcessTestHarness(configure: options =>
        {
            options.Calendars.Add(new CalendarLayer("night-shift", DateTimeOffset.MinValue)
            {
                TimeZone = "UTC",
                Week = Enum.GetValues<DayOfWeek>().ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => [WorkingInterval.Parse("20:00-23:00")]),
            });
        });
        await h.DeployAsync(TimerThen("=wait"));

        await h.StartAsync("wait", Vars(("wait", "4 working hours"), ("calendar", "night-shift")));

        Assert.That(await h.Engine.Worker.GetNextTimerDueAsync(), Is.EqualTo(new DateTimeOffset(2025, 1, 7, 21, 0, 0, TimeSpan.Zero)), "Monday 20:00-23:00, then Tuesday from 20:00");
    }

    [Test]
    public async Task A_timer_on_a_calendar_that_is_not_defined_is_an_incident()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(TimerThen("2 business days"));

        var instance = await h.StartAsync("wait", Vars(("calendar", "atlantis")));

        Assert.That((await instance.IncidentsAsync()).Single().Message, Does.Contain("atlantis"));
    }
}
