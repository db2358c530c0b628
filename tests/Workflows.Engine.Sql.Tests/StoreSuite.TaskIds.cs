using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The candidates an agent's next task is claimed among are the ids of a queue page's tasks, read without the task rows:
/// the same tasks in the same order as the page, a task in two of the queues once.
/// </summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task A_queue_page_s_ids_are_its_tasks_in_its_order_each_once()
    {
        var engine = new WorkflowEngine(NewStore(), new WorkflowEngineOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        string Handled(string id, string queues) => Process(id, $"""
            <bpmn:startEvent id="start"/>
            {UserTask("handle", $"""<bpmn:extensionElements><wf:userTask candidateGroups="{queues}" priority="=priority"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "handle", "end")}
            """);
        await engine.Deployments.DeployAsync(Handled("ids-both", "ids-a,ids-b"));
        await engine.Deployments.DeployAsync(Handled("ids-one", "ids-b"));
        await engine.Deployments.DeployAsync(Handled("ids-other", "ids-c"));
        var tasks = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            var process = (i % 3) switch { 0 => "ids-both", 1 => "ids-one", _ => "ids-other" };
            var instance = await engine.Runtime.StartAsync(new StartInstance(process) { Variables = Vars(("priority", (i * 7) % 12)) });
            tasks.Add((await engine.Tasks.GetOpenAsync(instance)).Single().Id);
        }

        await engine.Tasks.ClaimAsync(tasks[3], "ids-holder"); // held: in no unassigned page
        var store = NewStore();
        foreach (var sort in new[] { TaskSort.SlaTimeLeft, TaskSort.Priority, TaskSort.Age })
        {
            foreach (var limit in new[] { 3, 50 })
            {
                var query = new TaskQuery { Queues = ["ids-a", "ids-b"], CandidateUser = "ids-agent", Unassigned = true, Sort = sort };
                var page = await store.QueryTasksAsync(query, null, limit, default);
                var ids = await store.QueryTaskIdsAsync(query, limit, default);
                using (Assert.EnterMultipleScope())
                {
                    Assert.That(ids, Is.EqualTo(page.Select(t => t.Id)), $"{sort}, {limit} a page");
                    Assert.That(ids, Is.Unique.And.Not.Contains(tasks[3]));
                    Assert.That(ids, Has.Count.EqualTo(Math.Min(limit, 7)), "the four tasks in both queues and the three of one, but the one held");
                }
            }
        }

        Assert.That(await store.QueryTaskIdsAsync(new TaskQuery { Assignee = "ids-holder", Sort = TaskSort.Age }, 50, default), Is.EqualTo(new[] { tasks[3] }),
            "no queue: the task table's own walk");

        // Queries of one shape (a statement made once for it) with other values: each its own queue's tasks.
        foreach (var (queue, expected) in new[] { ("ids-c", new[] { 2, 5, 8, 11 }), ("ids-a", new[] { 0, 6, 9 }), ("ids-c", new[] { 2, 5, 8, 11 }) })
        {
            var query = new TaskQuery { Queues = [queue], CandidateUser = "ids-agent", Unassigned = true, Sort = TaskSort.Age };
            Assert.That(await store.QueryTaskIdsAsync(query, 50, default), Is.EqualTo(expected.Select(i => tasks[i])), queue);
        }
    }
}
