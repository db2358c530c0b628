using Workflows.Engine.Storage;
using TaskStatus = Workflows.Engine.Storage.TaskStatus;

namespace Workflows.Engine.Tests.Storage;

/// <summary>
/// The in-memory store's task lists walk ordered lists kept per queue, branch and customer, as the databases walk their
/// indexes: a page costs the page and a search, not every open task. The work is counted (the lists' steps), not timed.
/// </summary>
public sealed class InMemoryTaskListTests
{
    private static readonly string[] s_branches = ["north", "south", "east", "west"];
    private static readonly string[] s_queues = ["front-desk", "back-office", "billing"];
    private static readonly DateTimeOffset s_start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private static UserTaskRecord NewTask(Random random, int n) =>
        new(Guid.NewGuid(), Guid.NewGuid(), 1, "handle", "Handle", "complaint", "BK-" + (n % 97), null,
            [s_queues[random.Next(s_queues.Length)], .. random.Next(4) == 0 ? new[] { s_queues[random.Next(s_queues.Length)] } : []],
            random.Next(10) == 0 ? ["ann"] : [],
            random.Next(5) * 25, null, null, null, s_start.AddSeconds(random.Next(1_000_000)))
        {
            Branch = random.Next(10) == 0 ? null : s_branches[random.Next(s_branches.Length)],
            CustomerId = "C-" + random.Next(500),
            Mark = random.Next(3) == 0 ? default : new TaskMark(random.Next(4), s_start.AddMinutes(random.Next(10_000))),
        };

    private static async Task<(InMemoryWorkflowStore Store, List<UserTaskRecord> Tasks)> FillAsync(int count, int seed)
    {
        var store = new InMemoryWorkflowStore();
        var random = new Random(seed);
        var tasks = new List<UserTaskRecord>(count);
        for (var written = 0; written < count;)
        {
            var changes = new ChangeSet();
            for (var i = 0; i < 1_000 && written < count; i++, written++)
            {
                var task = NewTask(random, written);
                changes.TasksCreated.Add(task);
                tasks.Add(task);
            }

            await store.CommitAsync(changes, default);
        }

        return (store, tasks);
    }

    // What the lists must answer: every open task filtered and sorted, as the store answered before it kept lists.
    private static List<Guid> Expected(IEnumerable<UserTaskRecord> open, TaskQuery query, TaskSortKey? after, int limit)
    {
        var queues = TaskFilter.QueueKeys(query);
        return open.Where(t => TaskFilter.Matches(query, queues, t) && (after is not { } a || TaskSortKey.Compare(TaskSortKey.Of(t), a, query.Sort) > 0))
            .Order(Comparer<UserTaskRecord>.Create((x, y) => TaskSortKey.Compare(TaskSortKey.Of(x), TaskSortKey.Of(y), query.Sort)))
            .Take(limit)
            .Select(t => t.Id)
            .ToList();
    }

    private static IEnumerable<TaskQuery> Queries()
    {
        foreach (var sort in Enum.GetValues<TaskSort>())
        {
            yield return new TaskQuery { Sort = sort };
            yield return new TaskQuery { Sort = sort, Branch = "north" };
            yield return new TaskQuery { Sort = sort, CustomerId = "C-7" };
            yield return new TaskQuery { Sort = sort, Branch = "south", Unassigned = true };
            yield return new TaskQuery { Sort = sort, Queues = ["front-desk", "billing"], CandidateUser = "ann", Unassigned = true, Branch = "north" };
            yield return new TaskQuery { Sort = sort, Queues = ["back-office"] };
            yield return new TaskQuery { Sort = sort, Queues = ["billing"], Assignee = "bob" };
            yield return new TaskQuery { Sort = sort, Queues = ["front-desk"], Unassigned = false, SlaState = SlaState.Warning };
        }
    }

    [TestCase(TaskSort.SlaTimeLeft)]
    [TestCase(TaskSort.Priority)]
    [TestCase(TaskSort.Age)]
    public async Task A_page_of_100000_open_tasks_reads_the_page_and_a_search_not_every_task(TaskSort sort)
    {
        const int Page = 50;
        var (store, _) = await FillAsync(100_000, seed: 19);
        var queries = new[]
        {
            new TaskQuery { Sort = sort },
            new TaskQuery { Sort = sort, Branch = "north" },
            new TaskQuery { Sort = sort, CustomerId = "C-7" },
            new TaskQuery { Sort = sort, Queues = ["front-desk", "billing"], CandidateUser = "ann", Unassigned = true },
        };
        // The first page of an order makes its lists (once, from every open task); the pages after it are what is counted.
        await store.QueryTasksAsync(queries[0], null, 1, default);

        foreach (var query in queries)
        {
            var before = store.TaskListSteps;
            var first = await store.QueryTasksAsync(query, null, Page, default);
            var firstSteps = store.TaskListSteps - before;
            before = store.TaskListSteps;
            var second = await store.QueryTasksAsync(query, TaskSortKey.Of(first[^1]), Page, default);
            var secondSteps = store.TaskListSteps - before;
            TestContext.Out.WriteLine($"{Scope(query)}: first page {firstSteps} steps, second page {secondSteps} steps");

            // Each of the (at most four) walks: its entries read (a task in two queues read twice) and the tasks the filters
            // were checked on, and on a later page a binary search of each walk's place (about 17 comparisons at 100,000 keys).
            using (Assert.EnterMultipleScope())
            {
                Assert.That(first, Has.Count.EqualTo(Page), $"{query}");
                Assert.That(second, Has.Count.EqualTo(Page), $"{query}");
                Assert.That(firstSteps, Is.LessThanOrEqualTo(3 * Page), $"first page of {query}");
                Assert.That(secondSteps, Is.LessThanOrEqualTo((3 * Page) + (4 * 20)), $"second page of {query}");
            }
        }
    }

    private static string Scope(TaskQuery query) =>
        query.Queues.Count > 0 ? "an agent's queues" : query.CustomerId is not null ? "a customer" : query.Branch is not null ? "a branch" : "every open task";

    [Test]
    public async Task Pages_from_the_lists_are_the_open_tasks_filtered_and_sorted_through_claims_moves_marks_and_closes()
    {
        var (store, tasks) = await FillAsync(3_000, seed: 7);
        var random = new Random(11);
        var current = tasks.ToDictionary(t => t.Id);
        // The lists of every order exist before the changes, so the changes are what keeps them right.
        foreach (var sort in Enum.GetValues<TaskSort>())
        {
            await store.QueryTasksAsync(new TaskQuery { Sort = sort }, null, 1, default);
        }

        for (var round = 0; round < 20; round++)
        {
            var changes = new ChangeSet();
            var touched = new HashSet<Guid>();
            foreach (var task in current.Values.Where(t => t.Status == TaskStatus.Open).OrderBy(_ => random.Next()).Take(150).ToList())
            {
                if (!touched.Add(task.Id))
                {
                    continue;
                }

                switch (random.Next(5))
                {
                    case 0:
                        changes.TasksClosed.Add((task.Id, TaskStatus.Completed));
                        current[task.Id] = task with { Status = TaskStatus.Completed };
                        break;
                    case 1:
                        var claimed = task with { Assignee = task.Assignee is null ? (random.Next(2) == 0 ? "bob" : "ann") : null };
                        changes.TasksUpdated.Add(claimed);
                        current[task.Id] = claimed;
                        break;
                    case 2:
                        var moved = task with { CandidateGroups = [s_queues[random.Next(s_queues.Length)]], Priority = random.Next(5) * 25 };
                        changes.TasksUpdated.Add(moved);
                        current[task.Id] = moved;
                        break;
                    default:
                        var mark = random.Next(3) == 0 ? default : new TaskMark(random.Next(4), s_start.AddMinutes(random.Next(10_000)));
                        changes.TaskMarks.Add((task.Id, mark));
                        current[task.Id] = task with { Mark = mark };
                        break;
                }
            }

            var fresh = NewTask(random, round);
            changes.TasksCreated.Add(fresh);
            current[fresh.Id] = fresh;
            await store.CommitAsync(changes, default);
        }

        var open = current.Values.Where(t => t.Status == TaskStatus.Open).ToList();
        foreach (var query in Queries())
        {
            // Every page of the list, by cursor, against the same pages of every open task filtered and sorted.
            TaskSortKey? after = null;
            for (var pages = 0; ; pages++)
            {
                var page = await store.QueryTasksAsync(query, after, 40, default);
                Assert.That(page.Select(t => t.Id).ToList(), Is.EqualTo(Expected(open, query, after, 40)), $"page {pages + 1} of {query}");
                if (page.Count < 40)
                {
                    break;
                }

                after = TaskSortKey.Of(page[^1]);
            }
        }
    }

    [Test]
    public void Ordered_keys_stay_in_order_through_adds_and_removes_across_chunks()
    {
        var keys = new OrderedTaskKeys(TaskSort.Priority);
        var random = new Random(3);
        var kept = new List<TaskSortKey>();
        for (var i = 0; i < 5_000; i++)
        {
            if (kept.Count > 0 && random.Next(3) == 0)
            {
                var gone = kept[random.Next(kept.Count)];
                kept.Remove(gone);
                Assert.That(keys.Remove(gone), Is.True);
            }
            else
            {
                var key = new TaskSortKey(0, random.Next(5), random.Next(100), Guid.NewGuid());
                kept.Add(key);
                keys.Add(key);
            }
        }

        var steps = 0L;
        var reader = keys.ReadAfter(null, ref steps);
        var read = new List<TaskSortKey>();
        while (reader.TryPeek(out var key))
        {
            read.Add(key);
            reader.Advance();
        }

        kept.Sort((x, y) => TaskSortKey.Compare(x, y, TaskSort.Priority));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(keys.Count, Is.EqualTo(kept.Count));
            Assert.That(read, Is.EqualTo(kept));
            Assert.That(keys.Remove(new TaskSortKey(0, 1, 1, Guid.NewGuid())), Is.False, "a key never added is not removed");
        }
    }

    // Found by review13: a list of one key held a whole chunk (128 keys, 5 KB), so a customer per open task took
    // 16.7 KB per task (1.6 GB at 100,000 open tasks), and keys added in order left every chunk half full.
    [TestCase(500)]
    [TestCase(100_000)]
    public async Task The_lists_of_100000_open_tasks_hold_a_few_index_entries_per_task_however_their_customers_spread(int customers)
    {
        var store = new InMemoryWorkflowStore();
        for (var written = 0; written < 100_000;)
        {
            var changes = new ChangeSet();
            for (var i = 0; i < 1_000; i++, written++)
            {
                changes.TasksCreated.Add(new UserTaskRecord(Guid.NewGuid(), Guid.NewGuid(), 1, "handle", "Handle", "complaint", null, null,
                    ["front-desk"], [], 50, null, null, null, s_start.AddSeconds(written))
                {
                    Branch = "north",
                    CustomerId = "C-" + (written % customers),
                    Mark = new TaskMark(0, s_start.AddMinutes(written)),
                });
            }

            await store.CommitAsync(changes, default);
        }

        var before = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var sort in Enum.GetValues<TaskSort>())
        {
            // A page in each order, as the pages and next-task ask: each order's lists are then kept for every open task.
            await store.QueryTasksAsync(new TaskQuery { Sort = sort, Queues = ["front-desk"] }, null, 20, default);
        }

        var perTask = (GC.GetTotalMemory(forceFullCollection: true) - before) / 100_000.0;
        GC.KeepAlive(store);
        await TestContext.Out.WriteLineAsync($"{customers} customers: {perTask:F0} B per open task for the lists of {Enum.GetValues<TaskSort>().Length} orders");
        Assert.That(perTask, Is.LessThan(2_000), "the lists hold a few index entries per task, as a database's indexes do");
    }
}
