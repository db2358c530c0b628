using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// Issue 15, item 3: process instance modification, with the expectations of Zeebe's ModifyProcessInstance*Test
/// (activation with its enclosing scopes, ancestor selection, termination up to the process, refusals listed at once).
/// </summary>
public sealed class ModificationTests
{
    private static readonly string s_line = Process("line", $"""
        <bpmn:startEvent id="start"/>{UserTask("a")}{UserTask("b")}{UserTask("c")}<bpmn:endEvent id="end"/>
        {Chain("start", "a", "b", "c", "end")}
        """);

    private static readonly string s_nested = Process("nested", $"""
        <bpmn:startEvent id="start"/>{UserTask("a")}
        <bpmn:subProcess id="sp">
          <bpmn:startEvent id="sp_start"/>{UserTask("b", """<bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=x + y" target="sum"/></zeebe:ioMapping></bpmn:extensionElements>""")}{UserTask("c")}<bpmn:endEvent id="sp_done"/>
          {Chain("sp_start", "b", "c", "sp_done")}
        </bpmn:subProcess>
        <bpmn:boundaryEvent id="late" attachedToRef="sp"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        {UserTask("chase")}<bpmn:endEvent id="end"/><bpmn:endEvent id="chased"/>
        {Chain("start", "a", "sp", "end")}{Chain("late", "chase", "chased")}
        """);

    private static readonly string s_shapes = Process("shapes", $"""
        <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("a")}{UserTask("b")}<bpmn:parallelGateway id="join"/>
        <bpmn:eventBasedGateway id="choice"/>
        <bpmn:intermediateCatchEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:intermediateCatchEvent id="tock"><bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:boundaryEvent id="stuck" attachedToRef="a"><bpmn:timerEventDefinition><bpmn:timeDuration>PT9H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        <bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/><bpmn:endEvent id="end3"/><bpmn:endEvent id="end4"/>
        {Chain("start", "fork", "a", "join", "choice", "tick", "end")}{Chain("fork", "b", "join")}{Chain("choice", "tock", "end2")}{Chain("stuck", "end3")}
        <bpmn:subProcess id="many"><bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=[1, 2]" inputElement="n"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
          <bpmn:startEvent id="many_start"/>{UserTask("inner")}{Chain("many_start", "inner")}
        </bpmn:subProcess>{Chain("many", "end4")}
        """);

    private static async Task<(ProcessTestHarness H, ProcessInstanceHandle Instance)> StartAsync(string bpmn, string processId, IReadOnlyDictionary<string, object?>? variables = null)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(bpmn);
        return (h, await h.StartAsync(processId, variables));
    }

    private static async Task<long> KeyOfAsync(ProcessInstanceHandle instance, string elementId) =>
        (await instance.SnapshotAsync()).ActiveElements.Single(e => e.ElementId == elementId).Key;

    private static Task<ModificationResult> ModifyAsync(ProcessTestHarness h, ProcessInstanceHandle instance, Func<ModifyInstance, ModifyInstance> build) =>
        h.Engine.Operations.ModifyAsync(build(new ModifyInstance(instance.Id, "wrong step") { Actor = "olga" }));

    [Test]
    public async Task Moving_a_token_terminates_the_element_instance_and_activates_the_target_with_the_actor_and_reason_in_the_history()
    {
        var (h, instance) = await StartAsync(s_line, "line");
        var a = await KeyOfAsync(instance, "a");

        var result = await ModifyAsync(h, instance, m => m with { Terminate = [new TerminateElement(a)], Activate = [new ActivateElement("c")] });

        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "c" }));
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "c" }), "a's task is cancelled, c's opened");
            Assert.That(result.Terminated, Is.EqualTo(new[] { a }));
            Assert.That(result.Activated, Has.Count.EqualTo(1));
            Assert.That(result.Status, Is.EqualTo(ProcessInstanceStatus.Active));
            var modified = history.Single(e => e.Kind == "instance-modified");
            Assert.That(modified.Actor, Is.EqualTo("olga"));
            Assert.That(modified.Detail, Does.StartWith("wrong step"));
            Assert.That(history.Where(e => e.ElementId == "a").Select(e => (e.Kind, e.Actor)), Does.Contain(("element-terminated", (string?)"olga")));
            Assert.That(history, Has.None.Matches<HistoryEntry>(e => e.ElementId == "b"), "b was skipped");
        }

        await instance.CompleteUserTaskAsync("c");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task Activating_an_element_inside_a_sub_process_creates_the_sub_process_with_its_boundary_events_and_the_variables_of_each_scope()
    {
        var (h, instance) = await StartAsync(s_nested, "nested");

        await ModifyAsync(h, instance, m => m with
        {
            Terminate = [new TerminateElement(null, "a")],
            Activate = [new ActivateElement("b") { Variables = Vars(("x", 1)), ScopeVariables = new Dictionary<string, IReadOnlyDictionary<string, object?>> { ["sp"] = Vars(("y", 2)) } }],
        });

        var snapshot = await instance.SnapshotAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshot.ActiveElements.Select(e => e.ElementId), Is.EqualTo(new[] { "sp", "b" }));
            Assert.That(snapshot.Variables.ContainsKey("x") || snapshot.Variables.ContainsKey("y"), Is.False, "the variables are local to b and sp");
            Assert.That((await instance.HistoryAsync()).Where(e => e.ElementId == "sp_start"), Is.Empty, "the sub-process's start event did not run");
        }

        await instance.CompleteUserTaskAsync("b");
        Assert.That(await instance.VariableAsync("sum"), Is.EqualTo(3m), "b's output mapping saw its own x and the sub-process's y");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "chase" }), "the created sub-process's boundary timer was opened");
    }

    [Test]
    public async Task An_ancestor_key_chooses_the_scope_and_a_scope_that_runs_twice_without_one_is_refused()
    {
        var (h, instance) = await StartAsync(s_nested, "nested");
        await instance.CompleteUserTaskAsync("a");
        var first = await KeyOfAsync(instance, "sp");

        await ModifyAsync(h, instance, m => m with { Activate = [new ActivateElement("c") { AncestorKey = InstanceState.RootKey }] });
        var scopes = (await instance.SnapshotAsync()).ActiveElements.Where(e => e.ElementId == "sp").Select(e => e.Key).ToList();
        var refused = Assert.ThrowsAsync<ModificationRefusedException>(() => ModifyAsync(h, instance, m => m with { Activate = [new ActivateElement("c")] }));
        await ModifyAsync(h, instance, m => m with { Activate = [new ActivateElement("c") { AncestorKey = first }] });

        var snapshot = await instance.SnapshotAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(scopes, Has.Count.EqualTo(2), "an ancestor key of the process creates a second sub-process");
            Assert.That(refused!.Reasons.Single(), Does.Contain("'sp' runs 2 times").And.Contain("ancestorKey"));
            Assert.That(snapshot.ActiveElements.Count(e => e.ElementId == "c"), Is.EqualTo(2));
            Assert.That(snapshot.ActiveElements.Count(e => e.ElementId == "sp"), Is.EqualTo(2), "the chosen scope got the token, no third sub-process");
        }
    }

    [Test]
    public async Task Every_reason_a_modification_is_refused_for_is_listed_at_once_and_nothing_changes()
    {
        var (h, instance) = await StartAsync(s_shapes, "shapes");
        var before = await instance.HistoryAsync();

        var refused = Assert.ThrowsAsync<ModificationRefusedException>(() => ModifyAsync(h, instance, m => m with
        {
            Activate =
            [
                new ActivateElement("start"), new ActivateElement("stuck"), new ActivateElement("join"), new ActivateElement("tick"),
                new ActivateElement("nowhere"), new ActivateElement("inner"), new ActivateElement("end") { AncestorKey = 999 },
            ],
            Terminate = [new TerminateElement(424242), new TerminateElement(null, "end2")],
            Variables = [new ScopeVariables(777, Vars(("z", 1)))],
        }));

        var reasons = string.Join("\n", refused!.Reasons);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Reasons, Has.Count.EqualTo(10), reasons);
            Assert.That(reasons, Does.Contain("'start': a start event"));
            Assert.That(reasons, Does.Contain("'stuck': a boundary event"));
            Assert.That(reasons, Does.Contain("'join': a joining gateway"));
            Assert.That(reasons, Does.Contain("'tick': an event after an event-based gateway"));
            Assert.That(reasons, Does.Contain("no element 'nowhere'"));
            Assert.That(reasons, Does.Contain("multi-instance element 'many'"));
            Assert.That(reasons, Does.Contain("ancestorKey 999"));
            Assert.That(reasons, Does.Contain("no live element instance has key 424242"));
            Assert.That(reasons, Does.Contain("'end2': no instance of it is live"));
            Assert.That(reasons, Does.Contain("no live scope has key 777"));
            Assert.That(await instance.HistoryAsync(), Has.Count.EqualTo(before.Count), "nothing was written");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "a", "b" }));
        }
    }

    [Test]
    public async Task Activating_a_multi_instance_element_activates_its_body_and_a_running_inner_instance_takes_an_element_inside_it()
    {
        var (h, instance) = await StartAsync(s_shapes, "shapes");
        await ModifyAsync(h, instance, m => m with { Activate = [new ActivateElement("many")] });
        var inners = (await instance.SnapshotAsync()).ActiveElements.Where(e => e.ElementId == "inner").ToList();
        var innerScope = (await instance.SnapshotAsync()).ActiveElements.Where(e => e.ElementId == "many").Select(e => e.Key).Max();

        await ModifyAsync(h, instance, m => m with { Activate = [new ActivateElement("inner") { AncestorKey = innerScope }] });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inners, Has.Count.EqualTo(2), "the body ran its two inner instances");
            Assert.That((await instance.ActiveElementsAsync()).Count(e => e == "inner"), Is.EqualTo(3));
        }
    }

    [Test]
    public async Task Terminating_the_last_token_of_an_inner_instance_lets_the_multi_instance_body_complete_with_the_others()
    {
        var (h, instance) = await StartAsync(s_shapes, "shapes");
        await ModifyAsync(h, instance, m => m with { Activate = [new ActivateElement("many")] });
        var first = (await instance.SnapshotAsync()).ActiveElements.First(e => e.ElementId == "inner").Key;

        await ModifyAsync(h, instance, m => m with { Terminate = [new TerminateElement(first)] });
        var between = await instance.ActiveElementsAsync();
        await instance.CompleteUserTaskAsync("inner");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(between.Count(e => e == "inner"), Is.EqualTo(1));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "a", "b" }), "the body completed and its token ended at end4");
            Assert.That((await instance.HistoryAsync()).Any(e => e.Kind == "element-completed" && e.ElementId == "end4"), Is.True);
        }
    }

    [Test]
    public async Task Terminating_the_last_token_terminates_the_sub_process_and_the_instance_as_zeebe_does()
    {
        var (h, instance) = await StartAsync(s_nested, "nested");
        await instance.CompleteUserTaskAsync("a");

        var result = await ModifyAsync(h, instance, m => m with { Terminate = [new TerminateElement(null, "b")] });

        var kinds = (await instance.HistoryAsync()).Select(e => (e.Kind, e.ElementId)).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Status, Is.EqualTo(ProcessInstanceStatus.Terminated));
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Terminated));
            Assert.That(kinds, Does.Contain(("element-terminated", (string?)"b")).And.Contain(("element-terminated", (string?)"sp")));
            Assert.That(kinds[^1].Kind, Is.EqualTo("instance-terminated"));
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task Terminating_one_of_two_parallel_tokens_leaves_the_instance_running_and_a_terminated_incident_is_resolved()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("par", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:exclusiveGateway id="broken"/>
            {UserTask("b")}<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
            {Chain("start", "fork", "broken")}{Flow("broken", "e1", "=false")}{Chain("fork", "b", "e2")}
            """));
        var instance = await h.StartAsync("par");
        var incident = (await instance.IncidentsAsync()).Single();

        await ModifyAsync(h, instance, m => m with { Terminate = [new TerminateElement(null, "broken")] });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Runtime.ResolveIncidentAsync(incident.Id), "the incident is resolved");
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
        }

        await instance.CompleteUserTaskAsync("b");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task Variables_set_on_a_scope_by_key_are_local_to_it_and_on_the_process_without_one()
    {
        var (h, instance) = await StartAsync(s_nested, "nested");
        await instance.CompleteUserTaskAsync("a");
        var sp = await KeyOfAsync(instance, "sp");

        await ModifyAsync(h, instance, m => m with { Variables = [new ScopeVariables(sp, Vars(("x", 40))), new ScopeVariables(null, Vars(("y", 2)))] });
        await instance.CompleteUserTaskAsync("b");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.VariableAsync("sum"), Is.EqualTo(42m));
            Assert.That(await instance.VariableAsync("x"), Is.Null, "x lives in the sub-process");
            Assert.That(await instance.VariableAsync("y"), Is.EqualTo(2m));
        }
    }

    [Test]
    public async Task A_modification_without_a_reason_or_an_instruction_or_of_an_ended_instance_is_refused()
    {
        var (h, instance) = await StartAsync(s_line, "line");

        var noReason = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Operations.ModifyAsync(new ModifyInstance(instance.Id, " ") { Activate = [new ActivateElement("b")] }));
        var nothing = Assert.ThrowsAsync<ModificationRefusedException>(() => ModifyAsync(h, instance, m => m));
        await h.Engine.Runtime.CancelAsync(instance.Id);
        var ended = Assert.ThrowsAsync<WorkflowConflictException>(() => ModifyAsync(h, instance, m => m with { Activate = [new ActivateElement("b")] }));
        var unknown = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Operations.ModifyAsync(new ModifyInstance(Guid.NewGuid(), "x") { Activate = [new ActivateElement("b")] }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(noReason!.Message, Does.Contain("reason"));
            Assert.That(nothing!.Reasons.Single(), Does.Contain("no instruction"));
            Assert.That(ended!.Message, Does.Contain("cancelled"));
            Assert.That(unknown, Is.Not.Null);
        }
    }

    [Test]
    public async Task A_called_instance_is_never_ended_by_a_modification_of_its_own()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_line);
        await h.DeployAsync(Process("caller", """
            <bpmn:startEvent id="s"/><bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="line"/></bpmn:extensionElements></bpmn:callActivity><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/><bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="e"/>
            """));
        await h.StartAsync("caller");
        var called = (await h.InstancesOfAsync("line")).Single();

        var refused = Assert.ThrowsAsync<ModificationRefusedException>(() => ModifyAsync(h, called, m => m with { Terminate = [new TerminateElement(null, "a")] }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Reasons.Single(), Does.Contain("call activity"));
            Assert.That(await called.ActiveElementsAsync(), Is.EqualTo(new[] { "a" }));
        }
    }
}
