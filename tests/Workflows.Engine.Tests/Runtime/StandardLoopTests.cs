using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>Standard loop characteristics as the BPMN 2.0 specification describes them: condition, test before or after, maximum.</summary>
public sealed class StandardLoopTests
{
    // A script task that counts its passes in 'count' and records the loop counter each pass saw.
    private static string Looping(string loop) => Process("p", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:scriptTask id="work">
          <bpmn:extensionElements>
            <zeebe:script expression="=count + 1" resultVariable="count"/>
            <zeebe:ioMapping><zeebe:output source="=append(seen, loopCounter)" target="seen"/><zeebe:output source="=count" target="count"/></zeebe:ioMapping>
          </bpmn:extensionElements>
          {loop}
        </bpmn:scriptTask>
        <bpmn:endEvent id="end"/>
        {Chain("start", "work", "end")}
        """);

    private static string Loop(string? condition, bool testBefore = false, int? maximum = null) =>
        $"""<bpmn:standardLoopCharacteristics testBefore="{(testBefore ? "true" : "false")}"{(maximum is { } m ? $" loopMaximum=\"{m}\"" : "")}>{(condition is null ? "" : $"<bpmn:loopCondition xsi:type=\"bpmn:tFormalExpression\">{System.Security.SecurityElement.Escape(condition)}</bpmn:loopCondition>")}</bpmn:standardLoopCharacteristics>""";

    private static async Task<ProcessInstanceHandle> RunAsync(string loop, int count = 0, ProcessTestHarness? harness = null)
    {
        var h = harness ?? new ProcessTestHarness();
        await h.DeployAsync(Looping(loop));
        return await h.StartAsync("p", Vars(("count", count), ("seen", new List<object?>())));
    }

    [Test]
    public async Task A_loop_tested_after_runs_while_its_condition_holds_and_the_condition_sees_what_the_pass_set()
    {
        var instance = await RunAsync(Loop("=count < 3"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.VariableAsync("count"), Is.EqualTo(3m));
            Assert.That(await instance.VariableAsync("seen"), Is.EqualTo(new object?[] { 1m, 2m, 3m }), "each pass has its own loop counter");
        }
    }

    [Test]
    public async Task A_loop_tested_after_runs_once_even_when_its_condition_is_false_from_the_start()
    {
        var instance = await RunAsync(Loop("=false"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.VariableAsync("count"), Is.EqualTo(1m));
        }
    }

    [Test]
    public async Task A_loop_tested_before_runs_zero_times_when_its_condition_is_false_from_the_start()
    {
        var instance = await RunAsync(Loop("=count < 3", testBefore: true), count: 5);

        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.VariableAsync("count"), Is.EqualTo(5m));
            Assert.That(history.Count(e => e.Kind == "element-entered" && e.ElementId == "work"), Is.EqualTo(1), "the loop body only, no pass");
        }
    }

    [Test]
    public async Task A_loop_tested_before_runs_while_its_condition_holds()
    {
        var instance = await RunAsync(Loop("=count < 3", testBefore: true));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.VariableAsync("count"), Is.EqualTo(3m));
            Assert.That(await instance.VariableAsync("seen"), Is.EqualTo(new object?[] { 1m, 2m, 3m }));
        }
    }

    [Test]
    public async Task The_loop_maximum_caps_the_passes_whatever_the_condition_says()
    {
        var instance = await RunAsync(Loop("=true", maximum: 4));

        Assert.That(await instance.VariableAsync("count"), Is.EqualTo(4m));
    }

    [Test]
    public async Task A_loop_with_only_a_maximum_runs_that_many_passes_and_a_maximum_of_zero_runs_none()
    {
        var four = await RunAsync(Loop(null, maximum: 4));
        var none = await RunAsync(Loop(null, testBefore: true, maximum: 0));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await four.VariableAsync("count"), Is.EqualTo(4m));
            Assert.That(await none.VariableAsync("count"), Is.EqualTo(0m));
        }
    }

    [Test]
    public async Task Each_pass_has_its_own_history_and_the_loop_counter_does_not_leak_to_the_process()
    {
        var instance = await RunAsync(Loop("=count < 2"));

        var history = await instance.HistoryAsync();
        var snapshot = await instance.SnapshotAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(history.Where(e => e.Kind == "element-entered" && e.ElementId == "work").Select(e => e.Detail), Is.EqualTo(new[] { null, "pass 1", "pass 2" }));
            Assert.That(history.Count(e => e.Kind == "element-completed" && e.ElementId == "work"), Is.EqualTo(3), "two passes and the loop body");
            Assert.That(snapshot.Variables.ContainsKey("loopCounter"), Is.False);
        }
    }

    [Test]
    public async Task A_loop_over_a_user_task_waits_at_each_pass_and_ends_when_the_answer_says_so()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("review", Loop("=not(approved)"))}
            <bpmn:endEvent id="end"/>
            {Chain("start", "review", "end")}
            """));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("review", Vars(("approved", false)));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review", "review" }), "the loop body and its second pass");
        Assert.That(await instance.UserTasksAsync(), Has.Count.EqualTo(1));

        await instance.CompleteUserTaskAsync("review", Vars(("approved", true)));
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task A_loop_condition_that_is_not_a_boolean_is_an_incident_whose_retry_decides_again()
    {
        var h = new ProcessTestHarness();
        var instance = await RunAsync(Loop("=if count < 2 then true else if count > 5 then false else \"stop\""), harness: h);

        var incidents = await instance.IncidentsAsync();
        Assert.That(incidents, Has.Count.EqualTo(1));
        Assert.That(incidents[0].Message, Does.Contain("loop condition"));

        await h.Engine.Runtime.SetVariablesAsync(instance.Id, Vars(("count", 7)));
        await h.Engine.Runtime.ResolveIncidentAsync(incidents[0].Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.VariableAsync("count"), Is.EqualTo(7m), "no further pass once the condition is false");
        }
    }

    [Test]
    public async Task A_loop_that_never_ends_and_never_waits_stops_at_the_element_budget_with_an_incident()
    {
        var instance = await RunAsync(Loop("=true"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
            Assert.That(await instance.IncidentsAsync(), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task A_loop_with_neither_condition_nor_maximum_is_refused_at_deploy()
    {
        var h = new ProcessTestHarness();

        var report = await h.Engine.Deployments.ValidateAsync(Looping(Loop(null)));

        Assert.That(report.Findings.Select(f => f.Code), Does.Contain("LOOP_ENDLESS"));
    }
}
