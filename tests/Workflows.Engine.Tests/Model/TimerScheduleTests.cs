using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Model;

/// <summary>Timer cycles written as FEEL (Camunda 8's <c>=cycle(...)</c>) plan as their ISO 8601 text does.</summary>
public sealed class TimerScheduleTests
{
    private static readonly DateTimeOffset s_now = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    private static TimerPlan? PlanCycle(string expression, out string? error) =>
        TimerSchedule.Plan(TimerKind.Cycle, FeelInterpreter.Evaluate(expression).Value, s_now, out error);

    [Test]
    public void A_cycle_of_a_duration_repeats_forever_every_interval()
    {
        var plan = PlanCycle("=cycle(duration(\"PT1H\"))", out var error);

        Assert.That((plan, error), Is.EqualTo(((TimerPlan?)new TimerPlan(s_now.AddHours(1), TimeSpan.FromHours(1), -1), (string?)null)));
    }

    [Test]
    public void A_cycle_with_a_count_fires_that_many_times()
    {
        var plan = PlanCycle("=cycle(3, duration(\"PT30M\"))", out var error);

        Assert.That((plan, error), Is.EqualTo(((TimerPlan?)new TimerPlan(s_now.AddMinutes(30), TimeSpan.FromMinutes(30), 2), (string?)null)));
    }

    [Test]
    public void A_cycle_of_a_negative_duration_is_refused_with_a_reason()
    {
        var plan = PlanCycle("=cycle(duration(\"-PT1H\"))", out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan, Is.Null);
            Assert.That(error, Does.Contain("positive"));
        }
    }

    [Test]
    public async Task A_non_interrupting_boundary_with_a_FEEL_cycle_fires_at_each_interval_up_to_its_count()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="reminder" attachedToRef="work" cancelActivity="false">
              <bpmn:timerEventDefinition><bpmn:timeCycle>=cycle(2, duration("PT1H"))</bpmn:timeCycle></bpmn:timerEventDefinition>
            </bpmn:boundaryEvent>
            {UserTask("remind")}
            {Chain("start", "work")}{Chain("reminder", "remind")}
            """));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(59));
        var before = await instance.ActiveElementsAsync();
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        var afterOne = await instance.ActiveElementsAsync();
        await h.AdvanceTimeAsync(TimeSpan.FromHours(5));
        var afterAll = await instance.ActiveElementsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.EqualTo(new[] { "work" }));
            Assert.That(afterOne, Is.EquivalentTo(new[] { "work", "remind" }));
            Assert.That(afterAll, Is.EquivalentTo(new[] { "work", "remind", "remind" }));
        }
    }
}
