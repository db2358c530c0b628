using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class TaskOperationTests
{
    private static readonly string s_process = Process("p", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="classify" name="Classify">
          <bpmn:extensionElements>
            <wf:userTask candidateGroups="front-desk"/>
            <wf:form>
              <wf:field id="category" label="Category" type="enum" values="billing,network" required="true"/>
              <wf:field id="amount" label="Amount" type="number"/>
              <wf:field id="visitDate" label="Visit date" type="date"/>
            </wf:form>
          </bpmn:extensionElements>
        </bpmn:userTask>
        {UserTask("next")}
        {Chain("s", "classify", "next")}
        """);

    private static async Task<(ProcessTestHarness H, ProcessInstanceHandle Instance, Guid Task)> StartAsync()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_process);
        var instance = await h.StartAsync("p");
        return (h, instance, (await instance.UserTasksAsync()).Single().Id);
    }

    [Test]
    public async Task Claiming_unclaiming_delegating_and_moving_change_the_task_and_are_in_its_history()
    {
        var (h, instance, task) = await StartAsync();

        await h.Engine.Tasks.ClaimAsync(task, "ann");
        await h.Engine.Tasks.ClaimAsync(task, "ann");
        var claimed = (await instance.UserTasksAsync()).Single();
        Assert.That(async () => await h.Engine.Tasks.ClaimAsync(task, "bob"), Throws.TypeOf<WorkflowConflictException>().With.Message.Contains("ann"));
        Assert.That(async () => await h.Engine.Tasks.UnclaimAsync(task, "bob"), Throws.TypeOf<WorkflowConflictException>());

        await h.Engine.Tasks.DelegateAsync(task, "ann", "cid");
        var delegated = (await instance.UserTasksAsync()).Single();
        await h.Engine.Tasks.UnclaimAsync(task, "cid");
        await h.Engine.Tasks.MoveAsync(task, "back-office", "cid");
        await h.Engine.Tasks.CommentAsync(task, "cid", "needs the billing history");
        var moved = (await instance.UserTasksAsync()).Single();

        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed.Assignee, Is.EqualTo("ann"));
            Assert.That(delegated.Assignee, Is.EqualTo("cid"));
            Assert.That(moved.Assignee, Is.Null);
            Assert.That(moved.CandidateGroups, Is.EqualTo(new[] { "back-office" }));
            Assert.That(history.Where(e => e.Kind.StartsWith("task-", StringComparison.Ordinal) && e.Kind != "task-created").Select(e => (e.Kind, e.Actor)),
                Is.EqualTo(new[] { ("task-claimed", "ann"), ("task-claimed", "ann"), ("task-delegated", "ann"), ("task-unclaimed", "cid"), ("task-moved", "cid"), ("task-comment", "cid") }));
            Assert.That(history.Single(e => e.Kind == "task-comment").Detail, Is.EqualTo("needs the billing history"));
        }
    }

    [Test]
    public async Task Completing_with_a_form_error_names_each_field_and_changes_nothing_until_corrected()
    {
        var (h, instance, task) = await StartAsync();

        var error = Assert.ThrowsAsync<TaskFormException>(async () =>
            await h.Engine.Tasks.CompleteAsync(task, Vars(("amount", "lots"), ("visitDate", "tomorrow"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error!.FieldErrors.Keys, Is.EquivalentTo(new[] { "category", "amount", "visitDate" }));
            Assert.That(error.FieldErrors["category"], Is.EqualTo("Category is required"));
            Assert.That(error.FieldErrors["amount"], Is.EqualTo("Amount must be a number"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "classify" }));
        }

        Assert.That(async () => await h.Engine.Tasks.CompleteAsync(task, Vars(("category", "roaming"))),
            Throws.TypeOf<TaskFormException>().With.Message.Contains("must be one of billing, network"));

        await h.Engine.Tasks.CompleteAsync(task, Vars(("category", "billing"), ("amount", 12.5m), ("visitDate", "2025-02-03")));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "next" }));
    }

    [Test]
    public async Task A_claimed_task_can_be_completed_only_by_its_assignee()
    {
        var (h, instance, task) = await StartAsync();
        await h.Engine.Tasks.ClaimAsync(task, "ann");

        Assert.That(async () => await h.Engine.Tasks.CompleteAsync(task, Vars(("category", "billing")), actor: "bob"),
            Throws.TypeOf<WorkflowConflictException>().With.Message.Contains("claimed by ann"));
        await h.Engine.Tasks.CompleteAsync(task, Vars(("category", "billing")), actor: "ann");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "next" }));
    }
}
