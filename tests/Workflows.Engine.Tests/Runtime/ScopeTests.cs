using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class ScopeTests
{
    private const string Errors = """
        <bpmn:error id="errNoCover" name="No cover" errorCode="NO_COVER"/>
        <bpmn:error id="errFraud" name="Fraud" errorCode="FRAUD"/>
        <bpmn:escalation id="escVip" name="VIP" escalationCode="VIP"/>
        """;

    [Test]
    public async Task An_embedded_sub_process_runs_its_flow_and_then_continues_its_parent()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="subStart"/>{UserTask("inner")}<bpmn:endEvent id="subEnd"/>
              {Chain("subStart", "inner", "subEnd")}
            </bpmn:subProcess>
            {UserTask("after")}
            {Chain("start", "sub", "after")}
            """));
        var instance = await h.StartAsync("p");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "inner", "sub" }));

        await instance.CompleteUserTaskAsync("inner", Vars(("result", "ok")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.VariableAsync("result"), Is.EqualTo("ok"), "variables propagate to the process scope");
        }
    }

    [Test]
    public async Task An_interrupting_boundary_cancels_everything_inside_its_scope_nested_sub_processes_and_open_tasks_included()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="outer">
              <bpmn:startEvent id="os"/>
              <bpmn:parallelGateway id="fork"/>
              {UserTask("t1")}
              <bpmn:subProcess id="inner">
                <bpmn:startEvent id="is"/>{UserTask("t2")}
                <bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeDuration>PT10H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
                {Chain("is", "t2", "w")}
              </bpmn:subProcess>
              {ServiceTask("job", "credit-check")}
              {Chain("os", "fork")}{Chain("fork", "t1")}{Chain("fork", "inner")}{Chain("fork", "job")}
            </bpmn:subProcess>
            <bpmn:boundaryEvent id="cancelled" attachedToRef="outer"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>
            {UserTask("afterCancel")}
            {Chain("start", "outer")}{Chain("cancelled", "afterCancel")}
            """, Message("m", "cancel-request", "=caseId")));
        var instance = await h.StartAsync("p", Vars(("caseId", "X")));
        Assert.That(await instance.UserTasksAsync(), Has.Count.EqualTo(2));

        await h.CorrelateAsync("cancel-request", "X");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "afterCancel" }));
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "afterCancel" }));
            Assert.That(await instance.JobsAsync(), Is.Empty);
            Assert.That(await h.Engine.Worker.GetNextTimerDueAsync(), Is.Null, "the inner timer was removed");
        }
    }

    [Test]
    public async Task A_terminate_end_event_ends_only_its_own_scope()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            {UserTask("outside")}
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="ss"/><bpmn:parallelGateway id="f2"/>{UserTask("a")}<bpmn:task id="b"/>
              <bpmn:endEvent id="kill"><bpmn:terminateEventDefinition/></bpmn:endEvent>
              {Chain("ss", "f2")}{Chain("f2", "a")}{Chain("f2", "b", "kill")}
            </bpmn:subProcess>
            {UserTask("afterSub")}
            {Chain("start", "fork")}{Chain("fork", "outside")}{Chain("fork", "sub", "afterSub")}
            """));

        var instance = await h.StartAsync("p");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "afterSub", "outside" }));
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
        }
    }

    [Test]
    public async Task A_terminate_end_event_in_the_process_ends_the_instance_and_cancels_open_tasks()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("a")}{UserTask("b")}
            <bpmn:endEvent id="kill"><bpmn:terminateEventDefinition/></bpmn:endEvent>
            {Chain("start", "fork")}{Chain("fork", "a", "kill")}{Chain("fork", "b")}
            """));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("a");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Terminated));
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task An_error_is_caught_by_the_nearest_boundary_with_its_code()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("claim", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="assess">
              <bpmn:startEvent id="as"/>{ServiceTask("coverage", "coverage-check")}<bpmn:endEvent id="ae"/>
              <bpmn:boundaryEvent id="fraud" attachedToRef="coverage"><bpmn:errorEventDefinition errorRef="errFraud"/></bpmn:boundaryEvent>
              {UserTask("investigate")}
              {Chain("as", "coverage", "ae")}{Chain("fraud", "investigate")}
            </bpmn:subProcess>
            <bpmn:boundaryEvent id="noCover" attachedToRef="assess"><bpmn:errorEventDefinition errorRef="errNoCover"/></bpmn:boundaryEvent>
            <bpmn:boundaryEvent id="anyError" attachedToRef="assess"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
            {UserTask("reject")}{UserTask("manual")}{UserTask("pay")}
            {Chain("start", "assess", "pay")}{Chain("noCover", "reject")}{Chain("anyError", "manual")}
            """, Errors));

        var fraud = await h.StartAsync("claim");
        await fraud.ThrowJobErrorAsync("coverage", "FRAUD");
        var noCover = await h.StartAsync("claim");
        await noCover.ThrowJobErrorAsync("coverage", "NO_COVER");
        var other = await h.StartAsync("claim");
        await other.ThrowJobErrorAsync("coverage", "TIMEOUT");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await fraud.ActiveElementsAsync(), Is.EqualTo(new[] { "assess", "investigate" }), "the task's own boundary is nearest");
            Assert.That(await noCover.ActiveElementsAsync(), Is.EqualTo(new[] { "reject" }), "the sub-process boundary with the code");
            Assert.That(await other.ActiveElementsAsync(), Is.EqualTo(new[] { "manual" }), "a boundary without code catches the rest");
        }
    }

    [Test]
    public async Task An_uncaught_error_becomes_an_incident_and_leaves_the_token_where_it_was()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{ServiceTask("check", "check")}<bpmn:endEvent id="end"/>
            {Chain("start", "check", "end")}
            """));
        var instance = await h.StartAsync("p");

        await instance.ThrowJobErrorAsync("check", "UNKNOWN");

        var incidents = await instance.IncidentsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incidents.Single().Message, Does.Contain("UNKNOWN").And.Contain("not caught"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "check" }));
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
        }
    }

    [Test]
    public async Task An_error_end_event_is_caught_by_an_event_sub_process_of_the_enclosing_scope()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>{UserTask("other")}
            <bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="errNoCover"/></bpmn:endEvent>
            {Chain("start", "fork")}{Chain("fork", "other")}{Chain("fork", "fail")}
            <bpmn:subProcess id="onError" triggeredByEvent="true">
              <bpmn:startEvent id="caught"><bpmn:errorEventDefinition errorRef="errNoCover"/></bpmn:startEvent>
              {UserTask("handle")}
              {Chain("caught", "handle")}
            </bpmn:subProcess>
            """, Errors));

        var instance = await h.StartAsync("p");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "handle", "onError" }), "the interrupting event sub-process cancelled 'other'");
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "handle" }));
        }

        await instance.CompleteUserTaskAsync("handle");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task Event_sub_processes_interrupt_or_run_beside_the_scope()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{UserTask("work")}<bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            <bpmn:subProcess id="remindSub" triggeredByEvent="true">
              <bpmn:startEvent id="every2h" isInterrupting="false"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT2H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
              {UserTask("remind")}{Chain("every2h", "remind")}
            </bpmn:subProcess>
            <bpmn:subProcess id="cancelSub" triggeredByEvent="true">
              <bpmn:startEvent id="cancelled"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
              {UserTask("confirmCancel")}{Chain("cancelled", "confirmCancel")}
            </bpmn:subProcess>
            """, Message("m", "cancel", "=caseId")));
        var instance = await h.StartAsync("p", Vars(("caseId", "Z")));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(4));
        Assert.That((await instance.UserTasksAsync()).Count(t => t.ElementId == "remind"), Is.EqualTo(2));

        await h.CorrelateAsync("cancel", "Z");
        await h.AdvanceTimeAsync(TimeSpan.FromHours(4));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "confirmCancel" }));
            Assert.That(await h.Engine.Worker.GetNextTimerDueAsync(), Is.Null, "the interrupting event sub-process closed the reminder cycle");
        }
    }

    [Test]
    public async Task An_escalation_caught_by_a_non_interrupting_boundary_lets_both_paths_go_on()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="handle">
              <bpmn:startEvent id="hs"/>
              <bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="escVip"/></bpmn:intermediateThrowEvent>
              {UserTask("serve")}
              {Chain("hs", "raise", "serve")}
            </bpmn:subProcess>
            <bpmn:boundaryEvent id="vip" attachedToRef="handle" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="escVip"/></bpmn:boundaryEvent>
            {UserTask("notifyManager")}
            {Chain("start", "handle")}{Chain("vip", "notifyManager")}
            """, Errors));

        var instance = await h.StartAsync("p");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "handle", "notifyManager", "serve" }));
    }

    [Test]
    public async Task An_uncaught_escalation_end_event_simply_ends_its_path()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:endEvent id="esc"><bpmn:escalationEventDefinition escalationRef="escVip"/></bpmn:endEvent>
            {Chain("start", "esc")}
            """, Errors));

        var instance = await h.StartAsync("p");

        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task Cancelling_an_instance_closes_its_tasks_jobs_and_timers()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("a")}{ServiceTask("b", "work")}
            <bpmn:intermediateCatchEvent id="c"><bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {Chain("start", "fork")}{Chain("fork", "a")}{Chain("fork", "b")}{Chain("fork", "c")}
            """));
        var instance = await h.StartAsync("p");

        await h.Engine.Runtime.CancelAsync(instance.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
            Assert.That(await instance.JobsAsync(), Is.Empty);
            Assert.That(await h.Engine.Worker.GetNextTimerDueAsync(), Is.Null);
            Assert.That(async () => await h.Engine.Runtime.CancelAsync(instance.Id), Throws.TypeOf<WorkflowConflictException>());
        }
    }
}
