using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class QueueTests
{
    private static string Journey(string id, string? sla) => Process(id, $"""
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="handle" name="Handle the request">
          <bpmn:extensionElements>
            <wf:userTask candidateGroups="=queue" candidateUsers="=candidates" priority="=priority" dueDate="PT4H"/>
            {(sla is null ? "" : $"""<wf:sla target="{sla}"/>""")}
          </bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:endEvent id="e"/>
        {Chain("s", "handle", "e")}
        """).Replace($"""<bpmn:process id="{id}" isExecutable="true">""", $"""<bpmn:process id="{id}" name="Journey {id}" isExecutable="true">""", StringComparison.Ordinal);

    /// <summary>
    /// Five tasks in one queue, at two hours: A breached, B and C due later (C with higher priority),
    /// D and E with no clock (D with higher priority, E older).
    /// </summary>
    private static async Task<(ProcessTestHarness H, Dictionary<string, Guid> Tasks)> FiveTasksAsync()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("fast", "PT1H"));
        await h.DeployAsync(Journey("slow", "PT8H"));
        await h.DeployAsync(Journey("none", null));
        var tasks = new Dictionary<string, Guid>();
        async Task StartAsync(string name, string process, int priority, string branch)
        {
            var instance = await h.StartAsync(process,
                Vars(("queue", "billing"), ("candidates", null), ("priority", (decimal)priority), ("branch", branch), ("customerId", "C-" + name)), businessKey: "BK-" + name);
            tasks[name] = (await instance.UserTasksAsync()).Single().Id;
            await h.AdvanceTimeAsync(TimeSpan.FromMinutes(10));
        }

        await StartAsync("A", "fast", 50, "paris");
        await StartAsync("B", "slow", 50, "paris");
        await StartAsync("C", "slow", 90, "lyon");
        await StartAsync("E", "none", 50, "lyon");
        await StartAsync("D", "none", 90, "lyon");
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(70));
        return (h, tasks);
    }

    private static string[] Names(IEnumerable<UserTaskInfo> page, Dictionary<string, Guid> tasks) =>
        page.Select(t => tasks.Single(p => p.Value == t.Id).Key).ToArray();

    [Test]
    public async Task The_queue_sorts_by_sla_time_left_priority_and_age_and_pages_with_stable_cursors()
    {
        var (h, tasks) = await FiveTasksAsync();
        var query = new TaskQuery { Queues = ["billing"], PageSize = 2 };

        var pages = new List<string[]>();
        string? cursor = null;
        do
        {
            var page = await h.Engine.Tasks.QueryAsync(query with { Cursor = cursor });
            pages.Add(Names(page.Tasks, tasks));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var byPriority = await h.Engine.Tasks.QueryAsync(query with { Sort = TaskSort.Priority, PageSize = 10 });
        var byAge = await h.Engine.Tasks.QueryAsync(query with { Sort = TaskSort.Age, PageSize = 10 });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(pages, Is.EqualTo(new[] { new[] { "A", "B" }, ["C", "D"], ["E"] }));
            Assert.That(Names(byPriority.Tasks, tasks), Is.EqualTo(new[] { "C", "D", "A", "B", "E" }));
            Assert.That(Names(byAge.Tasks, tasks), Is.EqualTo(new[] { "A", "B", "C", "E", "D" }));
        }
    }

    [Test]
    public async Task Queue_filters_narrow_by_branch_sla_state_customer_business_key_assignee_and_due_date()
    {
        var (h, tasks) = await FiveTasksAsync();
        await h.Engine.Tasks.ClaimAsync(tasks["B"], "ann");
        async Task<string[]> Query(TaskQuery q) => Names((await h.Engine.Tasks.QueryAsync(q with { PageSize = 10 })).Tasks, tasks);

        var first = await h.Engine.Tasks.QueryAsync(new TaskQuery { Queues = ["billing"], PageSize = 1 });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Query(new TaskQuery { Branch = "lyon" }), Is.EqualTo(new[] { "C", "D", "E" }));
            Assert.That(await Query(new TaskQuery { Queues = ["billing"], SlaState = SlaState.Breached }), Is.EqualTo(new[] { "A" }));
            Assert.That(await Query(new TaskQuery { CustomerId = "C-E" }), Is.EqualTo(new[] { "E" }));
            Assert.That(await Query(new TaskQuery { BusinessKey = "BK-D" }), Is.EqualTo(new[] { "D" }));
            Assert.That(await Query(new TaskQuery { Assignee = "ann" }), Is.EqualTo(new[] { "B" }));
            Assert.That(await Query(new TaskQuery { DueBefore = ProcessTestHarness.DefaultStart.AddMinutes(255) }), Is.EqualTo(new[] { "A", "B" }));
            Assert.That(await Query(new TaskQuery { Queues = ["billing"], Unassigned = true }), Is.EqualTo(new[] { "A", "C", "D", "E" }));
            Assert.That(await Query(new TaskQuery { Queues = ["other"] }), Is.Empty);
            Assert.That(first.Tasks.Single().Journey, Is.EqualTo("Journey fast"));
            Assert.That(first.Tasks.Single().Branch, Is.EqualTo("paris"));
            Assert.That(first.Tasks.Single().CustomerId, Is.EqualTo("C-A"));
            Assert.That(async () => await h.Engine.Tasks.QueryAsync(new TaskQuery { Cursor = first.NextCursor, Sort = TaskSort.Age }),
                Throws.TypeOf<WorkflowInputException>().With.Message.Contains("sorted by Age"));
            Assert.That(async () => await h.Engine.Tasks.QueryAsync(new TaskQuery { Cursor = "garbage!" }), Throws.TypeOf<WorkflowInputException>());
            Assert.That(async () => await h.Engine.Tasks.QueryAsync(new TaskQuery { PageSize = 0 }), Throws.TypeOf<WorkflowInputException>());
        }
    }

    [Test]
    public async Task Next_task_claims_breached_first_then_least_time_left_then_priority_then_age()
    {
        var (h, tasks) = await FiveTasksAsync();

        var claimed = new List<UserTaskInfo>();
        while (await h.Engine.Tasks.ClaimNextAsync("ann", ["billing"]) is { } next)
        {
            claimed.Add(next);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Names(claimed, tasks), Is.EqualTo(new[] { "A", "B", "C", "D", "E" }));
            Assert.That(claimed.Select(t => t.Assignee), Is.All.EqualTo("ann"));
            Assert.That(await h.Engine.Tasks.ClaimNextAsync("bob", ["billing"]), Is.Null);
        }
    }

    [Test]
    public async Task An_agents_next_task_is_first_one_it_already_holds_in_the_queues_asked_so_that_a_cut_off_completion_strands_none()
    {
        var (h, tasks) = await FiveTasksAsync();
        // Ann's client died after these claims, before completing: D and C stay hers. B she holds too, in branch paris only.
        await h.Engine.Tasks.ClaimAsync(tasks["D"], "ann");
        await h.Engine.Tasks.ClaimAsync(tasks["C"], "ann");
        await h.Engine.Tasks.ClaimAsync(tasks["B"], "ann");

        var inLyon = await h.Engine.Tasks.NextAsync("ann", ["billing"], "lyon");
        var again = await h.Engine.Tasks.NextAsync("ann", ["billing"], "lyon");
        await h.Engine.Tasks.CompleteAsync(tasks["C"], null, "ann");
        var afterC = await h.Engine.Tasks.NextAsync("ann", ["billing"], "lyon");
        var elsewhere = await h.Engine.Tasks.NextAsync("ann", ["legal"]);
        var bob = await h.Engine.Tasks.NextAsync("bob", ["billing"], "lyon");
        await h.Engine.Tasks.CompleteAsync(tasks["D"], null, "ann");
        var fresh = await h.Engine.Tasks.NextAsync("ann", ["billing"], "lyon");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Names([inLyon!], tasks), Is.EqualTo(new[] { "C" }), "the most urgent task she holds in lyon, not the unclaimed E, nor B of paris");
            Assert.That(again!.Id, Is.EqualTo(inLyon!.Id), "asked again before completing it, she gets it again");
            Assert.That(again.Assignee, Is.EqualTo("ann"));
            Assert.That(Names([afterC!], tasks), Is.EqualTo(new[] { "D" }), "then the next she holds");
            Assert.That(elsewhere, Is.Null, "a task held in a queue not asked is not handed out");
            Assert.That(Names([bob!], tasks), Is.EqualTo(new[] { "E" }), "another agent gets only the unclaimed task");
            Assert.That(fresh, Is.Null, "holding none in lyon, she is handed a new one: none is left");
            Assert.That((await h.Engine.Tasks.GetAsync(tasks["B"])).Assignee, Is.EqualTo("ann"), "B of paris stays hers");
        }
    }

    [Test]
    public async Task Next_task_does_not_hand_a_task_moved_to_another_queue_after_its_page_was_read()
    {
        var (h, tasks) = await FiveTasksAsync();
        var moved = false;
        h.Engine.Tasks.PageRead = async page =>
        {
            // Between the page read and the claim, a supervisor moves the best task of the page to a queue ann does not work.
            if (!moved && page.Contains(tasks["A"]))
            {
                moved = true;
                await h.Engine.Tasks.MoveAsync(tasks["A"], "legal", "sup");
            }
        };

        var next = await h.Engine.Tasks.ClaimNextAsync("ann", ["billing"]);

        var a = await h.Engine.Tasks.GetAsync(tasks["A"]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(moved, Is.True, "the page held the task that was moved");
            Assert.That(next!.Id, Is.EqualTo(tasks["B"]), "the next task of ann's queue, not the one moved out of it");
            Assert.That(a.CandidateGroups, Is.EqualTo(new[] { "legal" }));
            Assert.That(a.Assignee, Is.Null, "the moved task waits unclaimed in its new queue");
        }
    }

    [Test]
    public async Task Next_task_offers_tasks_naming_the_agent_as_a_candidate()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("none", null));
        var instance = await h.StartAsync("none", Vars(("queue", null), ("candidates", "ann, cid"), ("priority", 50m)));

        var bob = await h.Engine.Tasks.ClaimNextAsync("bob", ["billing"]);
        var ann = await h.Engine.Tasks.ClaimNextAsync("ann", []);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(bob, Is.Null);
            Assert.That(ann!.InstanceId, Is.EqualTo(instance.Id));
        }
    }

    [Test]
    public async Task A_journey_says_where_the_customer_and_branch_of_its_tasks_and_clocks_come_from()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("mapped", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="t"><bpmn:extensionElements><wf:userTask candidateGroups="care"/><wf:commitment level="2" department="Care" budget="PT1H"/></bpmn:extensionElements></bpmn:userTask>
            {Chain("s", "t")}
            """, extensions: """<bpmn:extensionElements><wf:journey customerId="=customer.id" branch="=agency.code"/><wf:commitment level="1" name="Same day" target="PT8H"/></bpmn:extensionElements>"""));
        var from = h.Clock.GetUtcNow();

        var instance = await h.StartAsync("mapped", Vars(("customer", Vars(("id", "C-77"))), ("agency", Vars(("code", 1204m)))));
        var report = await h.Engine.ServiceLevels.GetServiceReportAsync(from, from.AddHours(1), branch: "1204");

        var task = (await instance.UserTasksAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(task.CustomerId, Is.EqualTo("C-77"));
            Assert.That(task.Branch, Is.EqualTo("1204"));
            Assert.That(report.Single().InstanceId, Is.EqualTo(instance.Id));
            Assert.That((await h.Engine.Tasks.QueryAsync(new TaskQuery { CustomerId = "C-77" })).Tasks.Single().Id, Is.EqualTo(task.Id));
        }
    }
}
