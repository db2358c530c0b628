using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class BudgetTests
{
    // A task and an exclusive gateway that sends the token back for ever: no wait anywhere.
    private static readonly string s_gatewayLoop = Process("spin", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:task id="again"/>
        <bpmn:exclusiveGateway id="more" default="more_end"/>
        <bpmn:endEvent id="end"/>
        {Chain("start", "again", "more")}
        {Flow("more", "again", "=true")}
        {Flow("more", "end", id: "more_end")}
        """);

    // After a user task, a parallel fork whose both branches loop back through an exclusive merge: the tokens double on every pass.
    private static readonly string s_forkLoop = Process("fork", $"""
        <bpmn:startEvent id="start"/>
        {UserTask("review")}
        <bpmn:exclusiveGateway id="merge"/>
        <bpmn:parallelGateway id="split"/>
        <bpmn:task id="left"/><bpmn:task id="right"/>
        {Chain("start", "review", "merge", "split", "left", "merge")}
        {Chain("split", "right", "merge")}
        """);

    [Test]
    public async Task A_start_whose_tokens_never_wait_returns_with_an_incident_on_the_start_event_naming_the_budget()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_gatewayLoop);

        var instance = await h.StartAsync("spin");

        var incident = (await instance.IncidentsAsync()).Single();
        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("start"));
            Assert.That(incident.Message, Does.Contain("MaxElementsPerCommand = 10000").And.Contain("WorkflowEngineOptions.Limits").And.Contain("process 'spin'"));
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "start" }));
            Assert.That(history.Select(e => e.ElementId), Has.None.EqualTo("again"), "nothing the looping tokens did is kept");
        }
    }

    [Test]
    public async Task A_parallel_fork_loop_after_a_task_leaves_the_task_answered_and_an_incident_on_it_with_nothing_else_committed()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxElementsPerCommand = 500);
        await h.DeployAsync(s_forkLoop);
        var instance = await h.StartAsync("fork", Vars(("before", 1)));

        await instance.CompleteUserTaskAsync("review", Vars(("decision", "go")));

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("review"));
            Assert.That(incident.Message, Does.Contain("MaxElementsPerCommand = 500"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
            Assert.That(await instance.UserTasksAsync(), Is.Empty, "the task was answered");
            Assert.That(await instance.VariableAsync("decision"), Is.Null, "the completion's outputs wait for the retry");
            Assert.That((await instance.HistoryAsync()).Select(e => e.ElementId), Has.None.EqualTo("split"));
        }
    }

    [Test]
    public async Task A_retry_of_a_budget_incident_on_an_unchanged_model_stops_at_the_same_element_again()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxElementsPerCommand = 100);
        await h.DeployAsync(s_gatewayLoop);
        var instance = await h.StartAsync("spin");
        var first = (await instance.IncidentsAsync()).Single();

        await h.Engine.Runtime.ResolveIncidentAsync(first.Id);

        var second = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.Id, Is.Not.EqualTo(first.Id));
            Assert.That(second.ElementId, Is.EqualTo("start"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "start" }));
        }
    }

    [Test]
    public async Task A_process_calling_itself_runs_out_of_budget_and_no_called_instance_is_kept()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxElementsPerCommand = 300);
        await h.DeployAsync(Process("self", """
            <bpmn:startEvent id="start"/>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="self"/></bpmn:extensionElements></bpmn:callActivity>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call"/><bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end"/>
            """));

        var instance = await h.StartAsync("self");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await h.InstancesOfAsync("self"), Has.Count.EqualTo(1));
            Assert.That((await instance.IncidentsAsync()).Single().Message, Does.Contain("MaxElementsPerCommand = 300"));
        }
    }

    [Test]
    public async Task A_loop_that_ends_within_the_budget_runs_to_the_end()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("count", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:scriptTask id="inc"><bpmn:extensionElements><zeebe:script expression="=n + 1" resultVariable="n"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:exclusiveGateway id="more" default="more_end"/>
            <bpmn:endEvent id="end"/>
            {Chain("start", "inc", "more")}
            {Flow("more", "inc", "=n < 1000")}
            {Flow("more", "end", id: "more_end")}
            """));

        var instance = await h.StartAsync("count", Vars(("n", 0)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.VariableAsync("n"), Is.EqualTo(1000m));
        }
    }

    [Test]
    public async Task Only_the_instance_out_of_budget_is_parked_when_one_signal_moves_several()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxElementsPerCommand = 200);
        var catchThen = (string id, string next) => Process(id, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="go"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateCatchEvent>
            {next}
            """, definitions: """<bpmn:signal id="sig" name="go"/>""");
        await h.DeployAsync(catchThen("calm", $"""{UserTask("next")}{Chain("start", "go", "next")}"""));
        await h.DeployAsync(catchThen("wild", $"""
            <bpmn:task id="again"/><bpmn:exclusiveGateway id="more" default="more_end"/><bpmn:endEvent id="end"/>
            {Chain("start", "go", "again", "more")}{Flow("more", "again", "=true")}{Flow("more", "end", id: "more_end")}
            """));
        var calm = await h.StartAsync("calm");
        var wild = await h.StartAsync("wild");

        await h.BroadcastSignalAsync("go");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await calm.ActiveElementsAsync(), Is.EqualTo(new[] { "next" }));
            Assert.That(await wild.ActiveElementsAsync(), Is.EqualTo(new[] { "go" }));
            Assert.That((await wild.IncidentsAsync()).Single().ElementId, Is.EqualTo("go"));
        }
    }

    [Test]
    public async Task A_script_result_over_the_variable_limit_is_an_incident_and_is_not_stored()
    {
        var h = new ProcessTestHarness(configure: o => o.MaxVariablesBytes = 1_000);
        await h.DeployAsync(Process("big", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:scriptTask id="grow"><bpmn:extensionElements><zeebe:script expression="=for i in 1..500 return i" resultVariable="items"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:endEvent id="end"/>{Chain("start", "grow", "end")}
            """));

        var instance = await h.StartAsync("big");

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("grow"));
            Assert.That(incident.Message, Does.Contain("MaxVariablesBytes = 1,000"));
            Assert.That(await instance.VariableAsync("items"), Is.Null);
        }
    }

    [Test]
    public async Task An_in_process_handler_result_over_the_variable_limit_is_an_incident()
    {
        var h = new ProcessTestHarness(configure: o =>
        {
            o.MaxVariablesBytes = 1_000;
            o.AddHandler("dump", (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("blob", new string('x', 2_000)))));
        });
        await h.DeployAsync(Process("svc", $"""
            <bpmn:startEvent id="start"/>{ServiceTask("call", "dump")}<bpmn:endEvent id="end"/>{Chain("start", "call", "end")}
            """));

        var instance = await h.StartAsync("svc");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await instance.IncidentsAsync()).Single().Message, Does.Contain("the handler for 'dump'").And.Contain("MaxVariablesBytes"));
            Assert.That(await instance.VariableAsync("blob"), Is.Null);
        }
    }

    [TestCase(989, null)]
    [TestCase(990, "the variables take 1,001 bytes as JSON")]
    public async Task A_start_s_variables_are_measured_as_the_json_they_take_up_to_the_last_byte(int letters, string? refusal)
    {
        // {"blob":"…"} takes 11 bytes and the letters: 1,000 at the limit. The quick bound (6 bytes a character) says
        // neither, so each start is written out and counted; a bound taken for the size would refuse both.
        var h = new ProcessTestHarness(configure: o => o.MaxVariablesBytes = 1_000);
        await h.DeployAsync(Process("p", $"""<bpmn:startEvent id="start"/>{UserTask("wait")}<bpmn:endEvent id="end"/>{Chain("start", "wait", "end")}"""));

        var start = () => h.StartAsync("p", Vars(("blob", new string('x', letters))));

        if (refusal is null)
        {
            Assert.That(await (await start()).VariableAsync("blob"), Is.EqualTo(new string('x', letters)));
        }
        else
        {
            Assert.That(async () => await start(), Throws.TypeOf<WorkflowInputException>().With.Message.Contains(refusal));
        }
    }

    [Test]
    public async Task A_worker_completion_over_the_variable_limit_is_refused_and_the_job_stays_open()
    {
        var h = new ProcessTestHarness(configure: o => o.MaxVariablesBytes = 1_000);
        await h.DeployAsync(Process("ext", $"""
            <bpmn:startEvent id="start"/>{ServiceTask("call", "crm")}<bpmn:endEvent id="end"/>{Chain("start", "call", "end")}
            """));
        var instance = await h.StartAsync("ext");
        var job = (await instance.JobsAsync()).Single();

        var refused = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Jobs.CompleteAsync(job.Id, Vars(("blob", new string('x', 2_000)))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Message, Does.Contain("MaxVariablesBytes"));
            Assert.That((await instance.JobsAsync()).Single().Id, Is.EqualTo(job.Id));
            Assert.That(await instance.VariableAsync("blob"), Is.Null);
        }
    }

    [Test]
    public async Task An_async_handler_result_over_the_variable_limit_fails_the_job_and_the_worker_goes_on()
    {
        var h = new ProcessTestHarness(configure: o =>
        {
            o.MaxVariablesBytes = 1_000;
            o.AddHandler("dump", (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("blob", new string('x', 2_000)))));
        });
        await h.DeployAsync(Process("svc", """
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="call"><bpmn:extensionElements><wf:taskDefinition type="dump" retries="1" async="true"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call"/><bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end"/>
            """));
        var instance = await h.StartAsync("svc");

        var ran = await h.Engine.Worker.RunDueJobsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ran, Is.EqualTo(1));
            Assert.That((await instance.IncidentsAsync()).Single().Message, Does.Contain("refused").And.Contain("MaxVariablesBytes"));
            Assert.That(await instance.VariableAsync("blob"), Is.Null);
        }
    }

    [Test]
    public async Task A_recursive_FEEL_function_behind_a_timer_is_an_incident_on_its_script_and_the_next_timers_still_fire()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("recursive", $$"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="later"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:scriptTask id="deep"><bpmn:extensionElements><zeebe:script expression="={f: function(n) f(n + 1), r: f(0)}.r" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:endEvent id="end"/>
            {{Chain("start", "later", "deep", "end")}}
            """));
        await h.DeployAsync(Process("ticking", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="later"><bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:endEvent id="end"/>
            {Chain("start", "later", "end")}
            """));
        var recursive = await h.StartAsync("recursive");
        var ticking = await h.StartAsync("ticking");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(3));

        var incident = (await recursive.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("deep"));
            Assert.That(incident.Message, Does.Contain("FeelLimits.MaxDepth"));
            Assert.That(await recursive.ActiveElementsAsync(), Is.EqualTo(new[] { "deep" }));
            Assert.That(await ticking.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed), "the worker went on past the breach");
        }
    }

    [Test]
    public void A_timer_start_whose_expression_breaks_a_FEEL_budget_at_deploy_refuses_the_model_naming_the_budget()
    {
        var h = new ProcessTestHarness();

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Process("huge", $"""
            <bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeCycle>=string(count(for i in 1..100000000 return i))</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            <bpmn:endEvent id="end"/>
            {Chain("tick", "end")}
            """)));

        var finding = refused.Report.Errors.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finding.Code, Is.EqualTo("TIMER_INVALID"));
            Assert.That(finding.ElementId, Is.EqualTo("tick"));
            Assert.That(finding.Message, Does.Contain("FeelLimits.MaxCollectionSize"));
        }
    }
}
