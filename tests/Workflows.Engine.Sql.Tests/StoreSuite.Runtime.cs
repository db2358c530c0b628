using NUnit.Framework;
using Workflows.Engine.Runtime;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// Budgets, cancellation in flight and service levels on multi-instance activities and business-time
// timers, on every database: what the runtime decides must be what the store keeps. Process ids are
// unique per test, since a fixture's tests share one database.
public abstract partial class StoreSuite
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}"[..24];

    [Test]
    public async Task A_model_whose_tokens_never_wait_commits_only_its_start_and_the_budget_incident_on_the_database()
    {
        var h = await HarnessAsync(o => o.Limits.MaxElementsPerCommand = 200);
        var id = Unique("spin");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/><bpmn:task id="again"/><bpmn:exclusiveGateway id="more" default="more_end"/><bpmn:endEvent id="end"/>
            {Chain("start", "again", "more")}{Flow("more", "again", "=true")}{Flow("more", "end", id: "more_end")}
            """));

        var instance = await h.StartAsync(id);

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("start"));
            Assert.That(incident.Message, Does.Contain("MaxElementsPerCommand = 200"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "start" }));
            Assert.That((await instance.HistoryAsync()).Select(e => e.ElementId), Has.None.EqualTo("again"));
        }

        await h.Engine.Runtime.CancelAsync(instance.Id);
    }

    [Test]
    public async Task A_handler_running_when_its_instance_is_cancelled_leaves_nothing_behind_on_the_database()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var type = Unique("slow-score");
        var h = await HarnessAsync(o => o.AddHandler(type, async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
            return Vars(("score", 700));
        }));
        var id = Unique("slow");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="score"><bpmn:extensionElements><wf:taskDefinition type="{type}" async="true"/></bpmn:extensionElements></bpmn:serviceTask>
            {UserTask("after")}{Chain("start", "score", "after")}
            """));
        var instance = await h.StartAsync(id);

        var running = h.Engine.Worker.RunDueJobsAsync();
        await started.Task;
        await h.Engine.Runtime.CancelAsync(instance.Id);
        release.SetResult();
        await running;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.JobsAsync(), Is.Empty);
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
            Assert.That(await instance.VariableAsync("score"), Is.Null);
        }
    }

    [Test]
    public async Task Inner_instance_clocks_and_a_business_time_timer_are_kept_and_fire_on_the_database()
    {
        var h = await HarnessAsync();
        var id = Unique("mi-sla");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="approve">
              <bpmn:extensionElements><wf:sla target="PT4H"/></bpmn:extensionElements>
              <bpmn:multiInstanceLoopCharacteristics isSequential="false">
                <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=approvers" inputElement="approver"/></bpmn:extensionElements>
              </bpmn:multiInstanceLoopCharacteristics>
            </bpmn:userTask>
            <bpmn:intermediateCatchEvent id="cooling_off"><bpmn:timerEventDefinition><bpmn:timeDuration>16 working hours</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {UserTask("after")}
            {Chain("start", "approve", "cooling_off", "after")}
            """));
        var instance = await h.StartAsync(id, Vars(("approvers", new[] { "ann", "bob" })));
        var tasks = await instance.UserTasksAsync();

        await h.Engine.Tasks.CompleteAsync(tasks[0].Id);
        await h.AdvanceTimeAsync(TimeSpan.FromHours(5)); // Monday 14:00: the second approval is late
        var states = (await instance.ClocksAsync()).Select(c => c.State).Order().ToList();
        await h.Engine.Tasks.CompleteAsync(tasks[1].Id); // the timer opens at 14:00 Monday: 16 working hours is Wednesday 14:00
        await h.AdvanceTimeAsync(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1));
        var beforeDue = await instance.ActiveElementsAsync();
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(states, Is.EqualTo(new[] { SlaState.Met, SlaState.Breached }.Order()));
            Assert.That(beforeDue, Is.EqualTo(new[] { "cooling_off" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }

        await h.Engine.Runtime.CancelAsync(instance.Id);
    }
}
