using NUnit.Framework;
using Workflows.Engine.Runtime;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Issue 13, part 1, item 10: standard loops, ad-hoc sub-processes and complex joins keep their progress in the stored state across commands.</summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task A_standard_loop_over_a_user_task_keeps_its_passes_across_commands_on_the_store()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("el-loop", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("review", """<bpmn:standardLoopCharacteristics loopMaximum="3"><bpmn:loopCondition>=not(approved)</bpmn:loopCondition></bpmn:standardLoopCharacteristics>""")}
            {UserTask("after")}
            {Chain("start", "review", "after")}
            """));
        var instance = await h.StartAsync("el-loop");

        await instance.CompleteUserTaskAsync("review", Vars(("approved", false)));
        await instance.CompleteUserTaskAsync("review", Vars(("approved", false)));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review", "review" }), "the third pass waits");

        await instance.CompleteUserTaskAsync("review", Vars(("approved", false)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the maximum of three passes ends the loop");
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "element-entered" && e.ElementId == "review" && e.Detail is not null), Is.EqualTo(3));
        }
    }

    [Test]
    public async Task An_ad_hoc_sub_process_waits_on_its_inner_user_tasks_across_commands_on_the_store()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("el-adhoc", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:adHocSubProcess id="adhoc">
              <bpmn:extensionElements><zeebe:adHoc activeElementsCollection="=activate"/></bpmn:extensionElements>
              {UserTask("A")}{UserTask("B")}{UserTask("C")}
              <bpmn:completionCondition>=done = true</bpmn:completionCondition>
            </bpmn:adHocSubProcess>
            {UserTask("after")}
            {Chain("start", "adhoc", "after")}
            """));
        var instance = await h.StartAsync("el-adhoc", Vars(("activate", new List<object?> { "A", "B", "C" })));

        await instance.CompleteUserTaskAsync("A", Vars(("done", false)));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "B", "C", "adhoc" }));

        await instance.CompleteUserTaskAsync("B", Vars(("done", true)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "after" }), "C was cancelled");
        }

        await instance.CompleteUserTaskAsync("after");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task A_complex_join_waiting_for_reset_keeps_that_state_across_commands_on_the_store()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("el-complex", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            {UserTask("a")}{UserTask("b")}{UserTask("c")}
            <bpmn:complexGateway id="cx"><bpmn:activationCondition>=activationCount >= 2</bpmn:activationCondition></bpmn:complexGateway>
            {UserTask("after")}
            {Chain("start", "fork")}{Chain("fork", "a", "cx")}{Chain("fork", "b", "cx")}{Chain("fork", "c", "cx")}{Chain("cx", "after")}
            """));
        var instance = await h.StartAsync("el-complex");

        await instance.CompleteUserTaskAsync("a");
        await instance.CompleteUserTaskAsync("b");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after", "c" }));

        await instance.CompleteUserTaskAsync("c");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the stored reset consumed c's token");
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "element-completed" && e.ElementId == "cx"), Is.EqualTo(1));
        }
    }
}
