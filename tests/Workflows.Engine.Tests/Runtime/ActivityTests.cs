using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class ActivityTests
{
    private static string Child(string versionTag, string label) => Process("child", $"""
        <bpmn:startEvent id="cs"/>
        <bpmn:scriptTask id="label"><bpmn:extensionElements><zeebe:script expression="=&quot;{label}&quot; + &quot; for &quot; + customer" resultVariable="label"/></bpmn:extensionElements></bpmn:scriptTask>
        {UserTask("childTask")}<bpmn:endEvent id="ce"/>
        {Chain("cs", "label", "childTask", "ce")}
        """, extensions: $"""<bpmn:extensionElements><zeebe:versionTag value="{versionTag}"/></bpmn:extensionElements>""");

    private static string Parent(string binding) => Process("parent", $"""
        <bpmn:startEvent id="ps"/>
        <bpmn:callActivity id="call">
          <bpmn:extensionElements>
            <zeebe:calledElement processId="child" {binding} propagateAllChildVariables="false" propagateAllParentVariables="false"/>
            <zeebe:ioMapping>
              <zeebe:input source="=name" target="customer"/>
              <zeebe:output source="=label" target="childLabel"/>
            </zeebe:ioMapping>
          </bpmn:extensionElements>
        </bpmn:callActivity>
        {UserTask("after")}
        {Chain("ps", "call", "after")}
        """);

    [TestCase("bindingType=\"latest\"", "v2-label")]
    [TestCase("bindingType=\"versionTag\" versionTag=\"v1\"", "v1-label")]
    public async Task A_call_activity_starts_the_bound_version_with_mapped_variables_and_maps_results_back(string binding, string expected)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Child("v1", "v1-label"));
        await h.DeployAsync(Child("v2", "v2-label"));
        await h.DeployAsync(Parent(binding));
        var parent = await h.StartAsync("parent", Vars(("name", "Ada"), ("secret", "kept-out")));

        var child = (await h.InstancesOfAsync("child")).Single();
        var childSnapshot = await child.SnapshotAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(childSnapshot.ParentInstanceId, Is.EqualTo(parent.Id));
            Assert.That(childSnapshot.Variables.ContainsKey("secret"), Is.False, "only input mappings cross when propagateAllParentVariables is false");
            Assert.That(childSnapshot.Variables["customer"], Is.EqualTo("Ada"));
        }

        await child.CompleteUserTaskAsync("childTask", Vars(("internal", 1)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await parent.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await parent.VariableAsync("childLabel"), Is.EqualTo(expected + " for Ada"));
            Assert.That(await parent.VariableAsync("internal"), Is.Null, "only output mappings come back");
        }
    }

    [Test]
    public async Task A_call_activity_with_deployment_binding_calls_the_version_deployed_with_it()
    {
        var h = new ProcessTestHarness();
        var both = Document(
            Child("v1", "same-deployment").Split("<bpmn:process", 2)[1].Split("</bpmn:definitions>")[0].Insert(0, "<bpmn:process")
            + Parent("bindingType=\"deployment\"").Split("<bpmn:process", 2)[1].Split("</bpmn:definitions>")[0].Insert(0, "<bpmn:process"));
        await h.DeployAsync(both);
        await h.DeployAsync(Child("v2", "later"));
        var parent = await h.StartAsync("parent", Vars(("name", "Bo")));

        await (await h.InstancesOfAsync("child")).Single().CompleteUserTaskAsync("childTask");

        Assert.That(await parent.VariableAsync("childLabel"), Is.EqualTo("same-deployment for Bo"));
    }

    [Test]
    public async Task An_error_thrown_in_a_called_process_is_caught_by_the_call_activity_boundary()
    {
        var h = new ProcessTestHarness();
        const string error = """<bpmn:error id="e" errorCode="REJECTED"/>""";
        await h.DeployAsync(Process("child", """
            <bpmn:startEvent id="cs"/><bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="e"/></bpmn:endEvent>
            <bpmn:sequenceFlow id="f" sourceRef="cs" targetRef="fail"/>
            """, error));
        await h.DeployAsync(Process("parent", $"""
            <bpmn:startEvent id="ps"/>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>
            <bpmn:boundaryEvent id="rejected" attachedToRef="call"><bpmn:errorEventDefinition errorRef="e"/></bpmn:boundaryEvent>
            {UserTask("handleRejection")}<bpmn:endEvent id="pe"/>
            {Chain("ps", "call", "pe")}{Chain("rejected", "handleRejection")}
            """, error));

        var parent = await h.StartAsync("parent");

        var child = (await h.InstancesOfAsync("child")).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await parent.ActiveElementsAsync(), Is.EqualTo(new[] { "handleRejection" }));
            Assert.That(await child.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Terminated));
        }
    }

    [Test]
    public async Task Cancelling_a_caller_cancels_its_called_instances()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Child("v1", "x"));
        await h.DeployAsync(Parent("bindingType=\"latest\""));
        var parent = await h.StartAsync("parent", Vars(("name", "C")));

        await h.Engine.Runtime.CancelAsync(parent.Id);

        var child = (await h.InstancesOfAsync("child")).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await child.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Terminated));
            Assert.That(await child.UserTasksAsync(), Is.Empty);
        }
    }

    private static string MultiInstance(bool sequential, string completion = "") => Process("mi", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:userTask id="approve">
          <bpmn:multiInstanceLoopCharacteristics isSequential="{(sequential ? "true" : "false")}">
            <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=approvers" inputElement="approver" outputCollection="votes" outputElement="=vote + &quot;:&quot; + approver"/></bpmn:extensionElements>
            {completion}
          </bpmn:multiInstanceLoopCharacteristics>
        </bpmn:userTask>
        {UserTask("after")}
        {Chain("start", "approve", "after")}
        """);

    [Test]
    public async Task A_parallel_multi_instance_runs_one_instance_per_item_and_collects_outputs_in_order()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(MultiInstance(sequential: false));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob", "cid" })));
        var tasks = await instance.UserTasksAsync();
        Assert.That(tasks, Has.Count.EqualTo(3));

        foreach (var (task, vote) in tasks.Reverse().Zip(new[] { "no", "yes", "maybe" }))
        {
            await h.Engine.Tasks.CompleteAsync(task.Id, Vars(("vote", vote)));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.VariableAsync("votes"), Is.EqualTo(new object?[] { "maybe:ann", "yes:bob", "no:cid" }));
        }
    }

    [Test]
    public async Task A_sequential_multi_instance_runs_items_one_after_another()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(MultiInstance(sequential: true));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob" })));

        Assert.That(await instance.UserTasksAsync(), Has.Count.EqualTo(1));
        await instance.CompleteUserTaskAsync("approve", Vars(("vote", "yes")));
        Assert.That(await instance.UserTasksAsync(), Has.Count.EqualTo(1));
        await instance.CompleteUserTaskAsync("approve", Vars(("vote", "no")));

        Assert.That(await instance.VariableAsync("votes"), Is.EqualTo(new object?[] { "yes:ann", "no:bob" }));
    }

    [Test]
    public async Task A_completion_condition_ends_a_multi_instance_early_and_cancels_the_rest()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(MultiInstance(false, "<bpmn:completionCondition>=numberOfCompletedInstances >= 2</bpmn:completionCondition>"));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "a", "b", "c", "d" })));
        var tasks = await instance.UserTasksAsync();

        await h.Engine.Tasks.CompleteAsync(tasks[0].Id, Vars(("vote", "y")));
        await h.Engine.Tasks.CompleteAsync(tasks[1].Id, Vars(("vote", "y")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.VariableAsync("votes"), Is.EqualTo(new object?[] { "y:a", "y:b", null, null }));
        }
    }

    [Test]
    public async Task A_multi_instance_over_an_empty_collection_completes_at_once()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(MultiInstance(false));

        var instance = await h.StartAsync("mi", Vars(("approvers", Array.Empty<string>())));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    private static readonly string s_service = Process("svc", $"""
        <bpmn:startEvent id="start"/>
        {ServiceTask("score", "credit-score", """<zeebe:ioMapping><zeebe:input source="=customer.id" target="customerId"/><zeebe:output source="=score * 2" target="doubled"/></zeebe:ioMapping>""")}
        {UserTask("review")}
        {Chain("start", "score", "review")}
        """);

    [Test]
    public async Task An_in_process_handler_runs_the_service_task_with_input_and_output_mappings()
    {
        ServiceTaskContext? seen = null;
        var h = new ProcessTestHarness(configure: o => o.AddHandler("credit-score", (ctx, _) =>
        {
            seen = ctx;
            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("score", 350)));
        }));
        await h.DeployAsync(s_service);

        var instance = await h.StartAsync("svc", Vars(("customer", new Dictionary<string, object?> { ["id"] = "C-1" })));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen!.Variables["customerId"], Is.EqualTo("C-1"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
            Assert.That(await instance.VariableAsync("doubled"), Is.EqualTo(700m));
            Assert.That(await instance.VariableAsync("score"), Is.Null, "with output mappings only the mapped variables leave the task");
            Assert.That(await instance.VariableAsync("customerId"), Is.Null, "input mappings are local to the task");
        }
    }

    [Test]
    public async Task A_failing_handler_raises_an_incident_with_the_state_unchanged_and_a_retry_runs_it_again()
    {
        var calls = 0;
        var h = new ProcessTestHarness(configure: o => o.AddHandler("credit-score", (ctx, _) =>
        {
            calls++;
            if (calls == 1)
            {
                throw new InvalidOperationException("bureau unavailable");
            }

            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("score", 1)));
        }));
        await h.DeployAsync(s_service);
        var instance = await h.StartAsync("svc", Vars(("customer", new Dictionary<string, object?> { ["id"] = "C-2" })));

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("score"));
            Assert.That(incident.Message, Does.Contain("bureau unavailable"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "score" }));
            Assert.That(await instance.VariableAsync("doubled"), Is.Null);
        }

        await h.Engine.Runtime.ResolveIncidentAsync(incident.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(calls, Is.EqualTo(2));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_job_is_retried_while_retries_remain_and_then_becomes_an_incident()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="sync"><bpmn:extensionElements><zeebe:taskDefinition type="crm-sync" retries="2"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="end"/>{Chain("start", "sync", "end")}
            """));
        var instance = await h.StartAsync("p");

        var job = (await h.Engine.Jobs.GetWaitingAsync("crm-sync")).Single();
        await h.Engine.Jobs.FailAsync(job.Id, "timeout", backoff: TimeSpan.FromSeconds(10));
        var retry = (await h.Engine.Jobs.GetWaitingAsync("crm-sync")).Single();
        await h.Engine.Jobs.FailAsync(retry.Id, "timeout again");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(retry.Retries, Is.EqualTo(1));
            Assert.That(await h.Engine.Jobs.GetWaitingAsync("crm-sync"), Is.Empty);
            Assert.That((await instance.IncidentsAsync()).Single().Message, Does.Contain("no retries left"));
        }

        await h.Engine.Runtime.ResolveIncidentAsync((await instance.IncidentsAsync()).Single().Id);
        await instance.CompleteJobAsync("sync");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task Script_manual_and_none_tasks_run_straight_through()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:scriptTask id="total"><bpmn:extensionElements><zeebe:script expression="=sum(for line in lines return line.price * line.qty)" resultVariable="total"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:manualTask id="print"/><bpmn:task id="noop"/>
            <bpmn:receiveTask id="wait" messageRef="m"/>
            {UserTask("done")}
            {Chain("start", "total", "print", "noop", "wait", "done")}
            """, Message("m", "confirmed", "=orderId")));
        var lines = new List<object?>
        {
            new Dictionary<string, object?> { ["price"] = 2.5m, ["qty"] = 2 },
            new Dictionary<string, object?> { ["price"] = 0.1m, ["qty"] = 3 },
        };

        var instance = await h.StartAsync("p", Vars(("lines", lines), ("orderId", "O")));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "wait" }));
        await h.CorrelateAsync("confirmed", "O");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.VariableAsync("total"), Is.EqualTo(5.3m), "decimal arithmetic: 5 + 0.3, not 5.300000000000001");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "done" }));
        }
    }

    [Test]
    public async Task User_tasks_carry_assignee_queues_priority_due_date_and_form_fields()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="classify" name="Classify complaint">
              <bpmn:extensionElements>
                <zeebe:assignmentDefinition assignee="=owner" candidateGroups="front-desk, billing"/>
                <zeebe:priorityDefinition priority="=if vip then 90 else 40"/>
                <zeebe:taskSchedule dueDate="=now() + duration(&quot;PT4H&quot;)"/>
                <wf:form><wf:field id="category" type="enum" values="billing,network" required="true"/></wf:form>
              </bpmn:extensionElements>
            </bpmn:userTask>
            {Chain("start", "classify")}
            """));

        var instance = await h.StartAsync("p", Vars(("owner", "alice"), ("vip", true)));

        var task = (await instance.UserTasksAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(task.Name, Is.EqualTo("Classify complaint"));
            Assert.That(task.Assignee, Is.EqualTo("alice"));
            Assert.That(task.CandidateGroups, Is.EqualTo(new[] { "front-desk", "billing" }));
            Assert.That(task.Priority, Is.EqualTo(90));
            Assert.That(task.DueDate, Is.EqualTo(ProcessTestHarness.DefaultStart.AddHours(4)));
        }
    }

    [Test]
    public async Task Unknown_ids_and_bad_variables_get_clear_errors()
    {
        var h = new ProcessTestHarness(configure: o => o.MaxVariablesBytes = 100);
        await h.DeployAsync(Process("p", $"""<bpmn:startEvent id="s"/>{UserTask("t")}{Chain("s", "t")}"""));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(async () => await h.StartAsync("nope"), Throws.TypeOf<WorkflowNotFoundException>().With.Message.Contains("'nope'"));
            Assert.That(async () => await h.Engine.Tasks.CompleteAsync(Guid.NewGuid()), Throws.TypeOf<WorkflowNotFoundException>());
            Assert.That(async () => await h.StartAsync("p", Vars(("blob", new string('x', 500)))), Throws.TypeOf<WorkflowInputException>().With.Message.Contains("limit"));
            Assert.That(async () => await h.StartAsync("p", Vars(("odd", new object()))), Throws.TypeOf<WorkflowInputException>().With.Message.Contains("odd"));
        }
    }
}
