using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class EventTests
{
    private static string Timer(string kind, string value) =>
        $"""<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>""";

    [TestCase("timeDuration", "PT30M", 30)]
    [TestCase("timeDuration", "=duration(\"PT45M\")", 45)]
    [TestCase("timeDate", "2025-01-06T10:00:00Z", 60)]
    [TestCase("timeCycle", "R2/PT20M", 20)]
    public async Task An_intermediate_timer_waits_until_it_is_due(string kind, string value, int minutes)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="wait">{Timer(kind, value)}</bpmn:intermediateCatchEvent>
            {UserTask("after")}
            {Chain("start", "wait", "after")}
            """));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(minutes - 1));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "wait" }));

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public async Task A_timer_cycle_R3_PT1H_on_a_non_interrupting_boundary_fires_three_times()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="reminder" attachedToRef="work" cancelActivity="false">{Timer("timeCycle", "R3/PT1H")}</bpmn:boundaryEvent>
            {UserTask("remind")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}{Chain("reminder", "remind")}
            """));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(10));

        var tasks = await instance.UserTasksAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.Count(t => t.ElementId == "remind"), Is.EqualTo(3));
            Assert.That(tasks.Count(t => t.ElementId == "work"), Is.EqualTo(1), "a non-interrupting boundary leaves the task open");
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "timer-fired"), Is.EqualTo(3));
        }
    }

    [Test]
    public async Task An_interrupting_timer_boundary_cancels_the_task_and_takes_its_own_path()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="late" attachedToRef="work">{Timer("timeDuration", "PT4H")}</bpmn:boundaryEvent>
            {UserTask("escalated")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}{Chain("late", "escalated")}
            """));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(4));

        var tasks = await instance.UserTasksAsync();
        Assert.That(tasks.Select(t => t.ElementId), Is.EqualTo(new[] { "escalated" }));
    }

    [Test]
    public async Task Message_boundaries_interrupt_or_run_beside_the_activity()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="info" attachedToRef="work" cancelActivity="false"><bpmn:messageEventDefinition messageRef="mInfo"/></bpmn:boundaryEvent>
            <bpmn:boundaryEvent id="withdrawn" attachedToRef="work"><bpmn:messageEventDefinition messageRef="mWithdraw"/></bpmn:boundaryEvent>
            {UserTask("note")}{UserTask("close")}
            {Chain("start", "work")}{Chain("info", "note")}{Chain("withdrawn", "close")}
            """, Message("mInfo", "more-info", "=caseId") + Message("mWithdraw", "withdrawn", "=caseId")));
        var instance = await h.StartAsync("p", Vars(("caseId", "K1")));

        await h.CorrelateAsync("more-info", "K1", Vars(("info", "photo")));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "note", "work" }));

        await h.CorrelateAsync("withdrawn", "K1");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "close", "note" }));
            Assert.That(await instance.VariableAsync("info"), Is.EqualTo("photo"));
        }
    }

    [Test]
    public async Task Signals_start_instances_and_reach_every_waiting_catch_and_boundary()
    {
        var h = new ProcessTestHarness();
        const string signal = """<bpmn:signal id="outage" name="network-outage"/>""";
        await h.DeployAsync(Process("waiting", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:intermediateCatchEvent id="hear"><bpmn:signalEventDefinition signalRef="outage"/></bpmn:intermediateCatchEvent>
            {UserTask("work")}
            <bpmn:boundaryEvent id="stop" attachedToRef="work"><bpmn:signalEventDefinition signalRef="outage"/></bpmn:boundaryEvent>
            {UserTask("heard")}{UserTask("stopped")}
            {Chain("start", "fork")}{Chain("fork", "hear", "heard")}{Chain("fork", "work")}{Chain("stop", "stopped")}
            """, signal));
        await h.DeployAsync(Process("onOutage", $"""
            <bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="outage"/></bpmn:startEvent>
            {UserTask("inform")}
            {Chain("s", "inform")}
            """, signal));
        var instance = await h.StartAsync("waiting");

        var triggered = await h.BroadcastSignalAsync("network-outage", Vars(("region", "north")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(triggered, Is.EqualTo(3), "the catch event, the boundary and the start event");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "heard", "stopped" }));
            Assert.That(await instance.VariableAsync("region"), Is.EqualTo("north"));
        }
    }

    [Test]
    public async Task A_signal_thrown_by_one_branch_reaches_a_catch_opened_in_the_same_command()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:intermediateCatchEvent id="hear"><bpmn:signalEventDefinition signalRef="go"/></bpmn:intermediateCatchEvent>
            <bpmn:task id="prepare"/>
            <bpmn:intermediateThrowEvent id="shout"><bpmn:signalEventDefinition signalRef="go"/></bpmn:intermediateThrowEvent>
            {UserTask("heard")}<bpmn:endEvent id="e1"/>
            {Chain("start", "fork")}{Chain("fork", "hear", "heard")}{Chain("fork", "prepare", "shout", "e1")}
            """, """<bpmn:signal id="go" name="go"/>"""));

        var instance = await h.StartAsync("p");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "heard" }));
    }

    [Test]
    public async Task A_timer_start_event_with_cycle_R3_PT1H_starts_three_instances()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("hourly", $"""
            <bpmn:startEvent id="tick">{Timer("timeCycle", "R3/PT1H")}</bpmn:startEvent>
            {UserTask("check")}
            {Chain("tick", "check")}
            """));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(5));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await h.InstancesOfAsync("hourly"), Has.Count.EqualTo(3));
            Assert.That(await h.Engine.Worker.GetNextTimerDueAsync(), Is.Null, "the cycle is spent");
        }
    }

    [Test]
    public async Task A_message_start_event_starts_an_instance_with_the_message_variables()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("complaint", $"""
            <bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
            {UserTask("classify")}
            {Chain("received", "classify")}
            """, """<bpmn:message id="m" name="complaint-received"/>"""));

        var result = await h.CorrelateAsync("complaint-received", "CASE-9", Vars(("topic", "billing")));

        Assert.That(result.StartedInstances, Is.EqualTo(1));
        var snapshot = await (await h.InstancesOfAsync("complaint")).Single().SnapshotAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshot.ActiveElements.Select(e => e.ElementId), Is.EqualTo(new[] { "classify" }));
            Assert.That(snapshot.Variables["topic"], Is.EqualTo("billing"));
            Assert.That(snapshot.BusinessKey, Is.EqualTo("CASE-9"));
        }
    }

    [Test]
    public async Task A_message_published_before_its_catch_opens_is_buffered_for_its_time_to_live()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("first")}
            <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("done")}
            {Chain("start", "first", "reply", "done")}
            """, Message("m", "reply", "=orderId")));
        var early = await h.StartAsync("p", Vars(("orderId", "O-1")));
        var tooLate = await h.StartAsync("p", Vars(("orderId", "O-2")));

        var buffered = await h.CorrelateAsync("reply", "O-1", Vars(("answer", 42)), timeToLive: TimeSpan.FromMinutes(10));
        await h.CorrelateAsync("reply", "O-2", timeToLive: TimeSpan.FromMinutes(10));
        await early.CompleteUserTaskAsync("first");
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(11));
        await tooLate.CompleteUserTaskAsync("first");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(buffered.Buffered, Is.True);
            Assert.That(await early.ActiveElementsAsync(), Is.EqualTo(new[] { "done" }));
            Assert.That(await early.VariableAsync("answer"), Is.EqualTo(42m));
            Assert.That(await tooLate.ActiveElementsAsync(), Is.EqualTo(new[] { "reply" }), "the buffered message expired");
        }
    }

    [Test]
    public async Task A_message_published_twice_with_the_same_id_is_correlated_once()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="one"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:intermediateCatchEvent id="two"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("done")}
            {Chain("start", "one", "two", "done")}
            """, Message("m", "payment", "=orderId")));
        var instance = await h.StartAsync("p", Vars(("orderId", "O-7")));

        var first = await h.CorrelateAsync("payment", "O-7", messageId: "pay-1", timeToLive: TimeSpan.FromHours(1));
        var second = await h.CorrelateAsync("payment", "O-7", messageId: "pay-1", timeToLive: TimeSpan.FromHours(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.CorrelatedInstances, Is.EqualTo(1));
            Assert.That(second.Duplicate, Is.True);
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "two" }), "the second catch did not get the duplicate");
        }
    }

    [Test]
    public async Task Send_tasks_and_message_end_events_put_their_messages_in_the_outbox()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:sendTask id="handoff" messageRef="m"/>
            <bpmn:endEvent id="notify"><bpmn:messageEventDefinition messageRef="m2"/></bpmn:endEvent>
            {Chain("start", "handoff", "notify")}
            """, Message("m", "billing-request", "=caseId") + Message("m2", "case-closed", "=caseId")));

        var instance = await h.StartAsync("p", Vars(("caseId", "C-5"), ("amount", 12.5m)));

        var sent = await h.Engine.Queries.GetOutgoingMessagesAsync(instance.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(sent.Select(m => (m.Name, m.CorrelationKey)), Is.EqualTo(new[] { ("billing-request", "C-5"), ("case-closed", "C-5") }));
            Assert.That(sent[0].Variables["amount"], Is.EqualTo(12.5m));
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
        }
    }

    [Test]
    public async Task Link_events_jump_within_their_scope()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="page2"/></bpmn:intermediateThrowEvent>
            <bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="page2"/></bpmn:intermediateCatchEvent>
            {UserTask("continue")}
            {Chain("start", "jump")}{Chain("land", "continue")}
            """));

        var instance = await h.StartAsync("p");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "continue" }));
    }

    [Test]
    public async Task Throw_events_pass_through_send_their_message_and_a_signal_end_event_reaches_other_instances()
    {
        var h = new ProcessTestHarness();
        const string definitions = """<bpmn:signal id="sig" name="case-closed"/><bpmn:message id="m" name="status-update"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>""";
        await h.DeployAsync(Process("listener", $"""
            <bpmn:startEvent id="ls"/>
            <bpmn:intermediateCatchEvent id="hear"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateCatchEvent>
            {UserTask("archive")}
            {Chain("ls", "hear", "archive")}
            """, definitions));
        await h.DeployAsync(Process("closer", $"""
            <bpmn:startEvent id="cs"/>
            <bpmn:intermediateThrowEvent id="milestone"/>
            <bpmn:intermediateThrowEvent id="update"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateThrowEvent>
            <bpmn:endEvent id="done"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:endEvent>
            {Chain("cs", "milestone", "update", "done")}
            """, definitions));
        var listener = await h.StartAsync("listener");

        var closer = await h.StartAsync("closer", Vars(("caseId", "C-77")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await closer.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That((await h.Engine.Queries.GetOutgoingMessagesAsync(closer.Id)).Single().CorrelationKey, Is.EqualTo("C-77"));
            Assert.That(await listener.ActiveElementsAsync(), Is.EqualTo(new[] { "archive" }));
        }
    }
}
