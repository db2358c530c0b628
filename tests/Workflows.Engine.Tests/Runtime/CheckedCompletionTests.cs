using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A completion its caller checks on the task the command reads (who may complete it, which fields its form has): the
/// check sees the task before the command finds it closed, and a refusal writes nothing.
/// </summary>
public sealed class CheckedCompletionTests
{
    private static readonly string s_twoSteps = Process("checked", $"""
        <bpmn:startEvent id="start"/>
        {UserTask("first", """<bpmn:extensionElements><wf:userTask candidateGroups="desk"/></bpmn:extensionElements>""")}
        {UserTask("second", """<bpmn:extensionElements><wf:userTask candidateGroups="desk"/></bpmn:extensionElements>""")}
        <bpmn:endEvent id="end"/>
        {Chain("start", "first", "second", "end")}
        """);

    [Test]
    public async Task The_check_sees_the_task_and_its_answer_completes_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_twoSteps);
        var instance = await h.StartAsync("checked");
        var task = (await instance.UserTasksAsync()).Single();
        UserTaskInfo? seen = null;

        await h.Engine.Tasks.CompleteCheckedAsync(task.Id, t =>
        {
            seen = t;
            return Vars(("answer", 42));
        }, "ann");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen?.Id, Is.EqualTo(task.Id));
            Assert.That(seen?.CandidateGroups, Is.EqualTo(new[] { "desk" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "second" }));
            Assert.That(await instance.VariableAsync("answer"), Is.EqualTo(42m));
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "task-completed"), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task A_refusal_writes_nothing_and_comes_before_the_task_is_found_completed()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_twoSteps);
        var instance = await h.StartAsync("checked");
        var task = (await instance.UserTasksAsync()).Single();
        static IReadOnlyDictionary<string, object?>? Refuse(UserTaskInfo t) => throw new UnauthorizedAccessException($"not yours: {t.Id}");

        var refused = Assert.ThrowsAsync<UnauthorizedAccessException>(() => h.Engine.Tasks.CompleteCheckedAsync(task.Id, Refuse, "ann"));
        Assert.That(refused.Message, Does.Contain(task.Id.ToString()));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "first" }), "nothing moved");

        await h.Engine.Tasks.CompleteCheckedAsync(task.Id, _ => null, "ann");
        // The task is completed now: a caller refused still hears its refusal, not that the task is closed.
        Assert.ThrowsAsync<UnauthorizedAccessException>(() => h.Engine.Tasks.CompleteCheckedAsync(task.Id, Refuse, "omar"));
        Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Tasks.CompleteCheckedAsync(task.Id, _ => null, "omar"), "one accepted hears it is closed");
        Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Tasks.CompleteCheckedAsync(Guid.NewGuid(), Refuse, "omar"), "no such task: nothing to check");
    }
}
