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
}
