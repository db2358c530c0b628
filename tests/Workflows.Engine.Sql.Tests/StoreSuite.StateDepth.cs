using NUnit.Framework;
using Workflows.Engine.Runtime;
using static Workflows.Engine.Tests.Bpmn;
using static Workflows.Engine.Tests.DeepValues;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// What the store keeps is what the engine reads back: a state as deep as the variables allow, in the instance, a task's
/// local copy, a job's variables and a buffered message; and an instance whose state cannot be read, inspected and
/// cancelled by an operator through its rows.
/// </summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task A_state_holding_variables_as_deep_as_allowed_is_written_and_read_back_with_its_job_and_buffered_message_on_the_database()
    {
        var h = await HarnessAsync();
        var id = Unique("deep");
        var type = "deep-" + Guid.NewGuid().ToString("N");
        var name = "deep-reply-" + Guid.NewGuid().ToString("N");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="review"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=deep" target="localCopy"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:userTask>
            {ServiceTask("work", type)}
            <bpmn:receiveTask id="reply" messageRef="m"/>
            {UserTask("after")}
            {Chain("start", "review", "work", "reply", "after")}
            """, Message("m", name, "=key")));

        var instance = await h.StartAsync(id, Vars(("deep", Nested(128, "core")), ("key", "D-1")));
        await instance.CompleteUserTaskAsync("review");
        var job = (await instance.JobsAsync()).Single();
        await h.CorrelateAsync(name, "D-1", Vars(("answer", Nested(128, "core"))), timeToLive: TimeSpan.FromHours(1)); // buffered: no one waits yet
        await h.Engine.Jobs.CompleteAsync(job.Id, Vars(("result", Nested(128, "core"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(DepthOf(job.Variables["deep"]), Is.EqualTo(128), "the job's variables");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the buffered message was read and taken");
            Assert.That(DepthOf(await instance.VariableAsync("answer")), Is.EqualTo(128));
            Assert.That(DepthOf(await instance.VariableAsync("result")), Is.EqualTo(128));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task An_unreadable_instance_is_inspected_by_its_rows_and_an_operators_cancel_ends_its_tasks_jobs_timers_and_subscriptions_on_the_database()
    {
        var h = await HarnessAsync();
        var id = Unique("unread");
        var type = "unread-" + Guid.NewGuid().ToString("N");
        var name = "unread-reply-" + Guid.NewGuid().ToString("N");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            {UserTask("review")}
            {ServiceTask("work", type)}
            <bpmn:receiveTask id="reply" messageRef="m"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {Chain("start", "fork", "review")}{Chain("fork", "work")}{Chain("fork", "reply")}{Chain("fork", "wait")}
            """, Message("m", name, "=key")));
        var instance = await h.StartAsync(id, Vars(("key", "U-1")));
        await PoisonAsync(instance.Id);

        var inspection = await h.Engine.Inspection.InspectAsync(instance.Id);
        await h.Engine.Runtime.CancelAsync(instance.Id, "otto");
        var after = await h.Engine.Inspection.InspectAsync(instance.Id);
        var again = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Runtime.CancelAsync(instance.Id, "otto"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inspection.StateProblem, Does.Contain("evil"), "why the state cannot be read");
            Assert.That(inspection.Instance.ProcessId, Is.EqualTo(id));
            Assert.That(inspection.Scope.State, Is.EqualTo("unreadable"));
            Assert.That(inspection.WaitPoints.Select(w => w.Kind).Order(), Is.EqualTo(new[] { "job", "message", "timer", "user-task" }));
            Assert.That(after.Instance.Status, Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(after.WaitPoints, Is.Empty, "its tasks, job, timer and subscription are gone");
            Assert.That(after.Incidents, Is.Empty);
            Assert.That(after.History.Last(e => e.Kind == "instance-cancelled").Actor, Is.EqualTo("otto"));
            Assert.That(after.StateProblem, Does.Contain("evil"), "the stored state is kept as it was");
            Assert.That(await h.Engine.Jobs.GetWaitingAsync(type), Is.Empty);
            Assert.That(await h.CorrelateAsync(name, "U-1", timeToLive: TimeSpan.FromHours(1)), Has.Property("CorrelatedInstances").EqualTo(0).And.Property("Buffered").EqualTo(true), "its subscription is gone");
            Assert.That(again.Message, Does.Contain("already cancelled"));
        }
    }
}
