using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// An agent's next task is first an open task of the queues asked that the agent already holds: a completion cut off after
// its claim (the client died) no longer leaves the task claimed by an agent who is handed new ones. On every store, each
// reading the agent's held tasks through its index of open tasks' assignees.
public abstract partial class StoreSuite
{
    [Test]
    public async Task An_agents_next_task_is_a_task_it_holds_in_the_queues_asked_before_any_unclaimed_one()
    {
        var h = await HarnessAsync();
        var id = Unique("held");
        var (front, back) = (Unique("front"), Unique("back"));
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            {UserTask("handle", """<bpmn:extensionElements><wf:userTask candidateGroups="=queue"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "handle", "end")}
            """));
        async Task<Guid> OpenAsync(string queue, string branch) =>
            (await (await h.StartAsync(id, Vars(("queue", queue), ("branch", branch)))).UserTasksAsync()).Single().Id;
        var held = await OpenAsync(front, "paris");
        var heldElsewhere = await OpenAsync(back, "paris");
        var heldInLyon = await OpenAsync(front, "lyon");
        var free = await OpenAsync(front, "paris");
        foreach (var task in new[] { held, heldElsewhere, heldInLyon })
        {
            await h.Engine.Tasks.ClaimAsync(task, "ann"); // then ann's client died, before completing any
        }

        var first = await h.Engine.Tasks.NextAsync("ann", [front], "paris");
        var again = await h.Engine.Tasks.NextAsync("ann", [front], "paris");
        var bob = await h.Engine.Tasks.NextAsync("bob", [front], "paris");
        await h.Engine.Tasks.CompleteAsync(held, null, "ann");
        var afterCompletion = await h.Engine.Tasks.NextAsync("ann", [front], "paris");
        var bothQueues = await h.Engine.Tasks.NextAsync("ann", [front, back], "paris");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first?.Id, Is.EqualTo(held), "the task she holds in the queue and branch asked");
            Assert.That(again?.Id, Is.EqualTo(held), "again, until she completes it");
            Assert.That(bob?.Id, Is.EqualTo(free), "another agent is handed only the unclaimed task");
            Assert.That(afterCompletion, Is.Null, "holding none there any more, and none unclaimed left, she gets none");
            Assert.That(bothQueues?.Id, Is.EqualTo(heldElsewhere), "the one she holds in the other queue, once she asks for it");
            Assert.That((await h.Engine.Tasks.GetAsync(heldInLyon)).Assignee, Is.EqualTo("ann"), "lyon's is not handed out to a paris query");
        }
    }

    // Next-task hands an agent back a task it holds before any other. A held task whose instance's stored
    // state cannot be read (it was claimed, then the state was damaged) can be neither completed nor unclaimed: the agent is
    // handed it again at every call, and never the healthy task waiting in the same queue, which ClaimNextAsync passes over.
    [Test]
    public async Task An_agent_holding_a_task_whose_instance_cannot_be_read_is_handed_the_queue_s_other_tasks()
    {
        var h = await HarnessAsync();
        var id = Unique("held-broken");
        var queue = Unique("held-q");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            {UserTask("handle", """<bpmn:extensionElements><wf:userTask candidateGroups="=queue"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "handle", "end")}
            """));
        var broken = await h.StartAsync(id, Vars(("queue", queue)));
        var brokenTask = (await broken.UserTasksAsync()).Single().Id;
        await h.Engine.Tasks.ClaimAsync(brokenTask, "ann");
        var healthy = await h.StartAsync(id, Vars(("queue", queue)));
        var healthyTask = (await healthy.UserTasksAsync()).Single().Id;
        await TamperAsync(broken.Id, json => json.Replace("\"next\":", "\"evil\":1,\"next\":", StringComparison.Ordinal));

        var first = await h.Engine.Tasks.NextAsync("ann", [queue]);
        var completion = await FailureOfAsync(() => h.Engine.Tasks.CompleteAsync(brokenTask, null, "ann"));
        var unclaim = await FailureOfAsync(() => h.Engine.Tasks.UnclaimAsync(brokenTask, "ann"));
        var second = await h.Engine.Tasks.NextAsync("ann", [queue]);
        TestContext.Out.WriteLine($"first={first?.Id} (broken {brokenTask}, healthy {healthyTask}); completion: {completion}; unclaim: {unclaim}; second={second?.Id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(completion, Is.Not.Null, "the broken task cannot be completed");
            Assert.That(unclaim, Is.Not.Null, "nor given back");
            Assert.That(second?.Id, Is.EqualTo(healthyTask), "the agent is not stuck on a task no one can work: the healthy one is handed");
        }
    }

    private static async Task<string?> FailureOfAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }
}
