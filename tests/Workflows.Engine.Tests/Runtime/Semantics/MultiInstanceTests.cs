using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, item 5 (Camunda 8: the completion condition is evaluated in the inner instance that just
/// completed; the output element is a local variable of each inner instance).
/// </summary>
public sealed class MultiInstanceTests
{
    private static string Approvals(string completion, string output = "") => Process("mi", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:userTask id="approve">
          <bpmn:multiInstanceLoopCharacteristics isSequential="true">
            <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=approvers" inputElement="approver" {output}/></bpmn:extensionElements>
            <bpmn:completionCondition>{completion}</bpmn:completionCondition>
          </bpmn:multiInstanceLoopCharacteristics>
        </bpmn:userTask>
        {UserTask("after")}
        {Chain("start", "approve", "after")}
        """);

    [TestCase("=approver = \"bob\"")]
    [TestCase("=loopCounter = 2")]
    public async Task The_completion_condition_sees_the_input_element_and_loop_counter_of_the_inner_instance_that_completed(string condition)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Approvals(condition));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob", "cid" })));

        await instance.CompleteUserTaskAsync("approve");
        Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "approve" }), "ann's instance does not meet it");

        await instance.CompleteUserTaskAsync("approve");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task The_output_element_is_local_to_each_inner_instance_and_never_reaches_the_parent_scope()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Approvals("=false", """outputCollection="votes" outputElement="=vote" """));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob" })));

        await instance.CompleteUserTaskAsync("approve", Vars(("vote", "yes")));
        await instance.CompleteUserTaskAsync("approve");

        var variables = (await instance.SnapshotAsync()).Variables;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(variables["votes"], Is.EqualTo(new object?[] { "yes", null }), "bob's instance did not see ann's vote");
            Assert.That(variables.ContainsKey("vote"), Is.False);
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }
    }

    [Test]
    public async Task Retrying_a_failed_completion_condition_decides_again_and_runs_the_remaining_items()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Approvals("=stop", """outputCollection="votes" outputElement="=approver" """));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob", "cid" })));

        await instance.CompleteUserTaskAsync("approve");
        var incidents = await instance.IncidentsAsync();
        Assert.That(incidents.Select(i => i.Message), Has.One.Contains("completion condition").And.Contains("stop"));

        await instance.SetVariablesAsync(Vars(("stop", false)));
        await instance.ResolveIncidentAsync("approve");
        Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "approve" }), "bob's instance is next, the multi-instance is not done");

        await instance.CompleteUserTaskAsync("approve");
        await instance.CompleteUserTaskAsync("approve");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.VariableAsync("votes"), Is.EqualTo(new object?[] { "ann", "bob", "cid" }), "every item ran, ann's once");
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task Retrying_a_failed_completion_condition_that_now_holds_completes_the_body_with_the_item_that_failed_counted()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Approvals("=stop and numberOfCompletedInstances = 1"));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob" })));

        await instance.CompleteUserTaskAsync("approve");
        await instance.SetVariablesAsync(Vars(("stop", true)));
        await instance.ResolveIncidentAsync("approve");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "after" }), "ann's task closed as done");
        }
    }

    [TestCase("=\"yes\"")]
    [TestCase("=approver")]
    [TestCase("=loopCounter")]
    public async Task A_completion_condition_that_gives_no_boolean_is_an_incident_naming_the_value(string condition)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Approvals(condition));
        var instance = await h.StartAsync("mi", Vars(("approvers", new[] { "ann", "bob" })));

        await instance.CompleteUserTaskAsync("approve");

        var incidents = await instance.IncidentsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incidents.Select(i => i.Message), Has.One.Contains("not a boolean").And.Contains("completion condition"));
            Assert.That(await instance.UserTasksAsync(), Is.Empty, "bob's instance does not start on a condition that did not decide");
        }
    }

    private static string Counted(string cardinality, bool sequential, string output = "") => Process("card", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:userTask id="each">
          <bpmn:multiInstanceLoopCharacteristics isSequential="{(sequential ? "true" : "false")}">
            {(output.Length > 0 ? $"<bpmn:extensionElements><zeebe:loopCharacteristics {output}/></bpmn:extensionElements>" : "")}
            <bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>
          </bpmn:multiInstanceLoopCharacteristics>
        </bpmn:userTask>
        {UserTask("after")}
        {Chain("start", "each", "after")}
        """);

    [TestCase("=10000000000", true, "", "more instances than an activity can have")]
    [TestCase("=2147483647", true, "outputCollection=\"results\" outputElement=\"=1\"", "output collection 'results'")]
    [TestCase("=100000000", true, "outputCollection=\"results\" outputElement=\"=1\"", "MaxVariablesBytes")]
    [TestCase("=2.5", true, "", "not a whole number")]
    [TestCase("=-1", true, "", "not a whole number")]
    [TestCase("=20000", false, "", "MaxElementsPerCommand")]
    public async Task A_loop_cardinality_the_engine_cannot_run_is_an_incident_naming_the_value_and_the_limit(string cardinality, bool sequential, string output, string expected)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Counted(cardinality, sequential, output));

        var instance = await h.StartAsync("card");

        var incidents = await instance.IncidentsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incidents.Select(i => i.Message), Has.One.Contains(expected));
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_sequential_loop_cardinality_above_the_element_budget_runs_one_instance_at_a_time()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Counted("=20000", sequential: true));

        var instance = await h.StartAsync("card");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "each" }));
        }
    }
}
