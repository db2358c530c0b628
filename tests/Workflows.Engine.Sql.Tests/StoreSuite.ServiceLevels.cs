using NUnit.Framework;
using Workflows.Engine.Calendars;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// Queues, next task and SLA clocks on every database. Each test uses queues and branches of its own,
// since a fixture's tests share one database, and ends the instances it started so that no clock of
// it fires in a later test.
public abstract partial class StoreSuite
{
    private static string QueueJourney(string id, string? sla) => Process(id, $"""
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="handle" name="Handle">
          <bpmn:extensionElements>
            <wf:userTask candidateGroups="=queue" priority="=priority" dueDate="PT4H"/>
            {(sla is null ? "" : $"""<wf:sla target="{sla}"/>""")}
          </bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:endEvent id="e"/>
        {Chain("s", "handle", "e")}
        """);

    private static async Task CancelAllAsync(ProcessTestHarness h, IEnumerable<ProcessInstanceHandle> instances)
    {
        foreach (var instance in instances)
        {
            if (await instance.StatusAsync() == Runtime.ProcessInstanceStatus.Active)
            {
                await h.Engine.Runtime.CancelAsync(instance.Id);
            }
        }
    }

    [Test]
    public async Task Queues_sort_filter_page_and_hand_out_the_next_task_on_the_store()
    {
        var h = await HarnessAsync();
        var queue = "billing-" + Guid.NewGuid().ToString("N")[..8];
        await h.DeployAsync(QueueJourney("queue-fast", "PT1H"));
        await h.DeployAsync(QueueJourney("queue-slow", "PT8H"));
        await h.DeployAsync(QueueJourney("queue-none", null));
        var names = new Dictionary<Guid, string>();
        var instances = new List<ProcessInstanceHandle>();
        foreach (var (name, process, priority, branch) in new[] { ("A", "queue-fast", 50, "paris"), ("B", "queue-slow", 50, "paris"), ("C", "queue-slow", 90, "lyon"), ("E", "queue-none", 50, "lyon"), ("D", "queue-none", 90, "lyon") })
        {
            var instance = await h.StartAsync(process, Vars(("queue", queue), ("priority", (decimal)priority), ("branch", branch + queue), ("customerId", "C-" + name + queue)), businessKey: "BK-" + name + queue);
            instances.Add(instance);
            names[(await instance.UserTasksAsync()).Single().Id] = name;
            await h.AdvanceTimeAsync(TimeSpan.FromMinutes(10));
        }

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(70));
        string[] Names(IEnumerable<UserTaskInfo> tasks) => tasks.Select(t => names[t.Id]).ToArray();
        async Task<string[]> Query(TaskQuery q) => Names((await h.Engine.Tasks.QueryAsync(q with { PageSize = 10 })).Tasks);

        var pages = new List<string[]>();
        string? cursor = null;
        do
        {
            var page = await h.Engine.Tasks.QueryAsync(new TaskQuery { Queues = [queue], PageSize = 2, Cursor = cursor });
            pages.Add(Names(page.Tasks));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pages, Is.EqualTo(new[] { new[] { "A", "B" }, ["C", "D"], ["E"] }));
            Assert.That(await Query(new TaskQuery { Queues = [queue], Sort = TaskSort.Priority }), Is.EqualTo(new[] { "C", "D", "A", "B", "E" }));
            Assert.That(await Query(new TaskQuery { Queues = [queue], Sort = TaskSort.Age }), Is.EqualTo(new[] { "A", "B", "C", "E", "D" }));
            Assert.That(await Query(new TaskQuery { Queues = [queue, "other"], Branch = "lyon" + queue }), Is.EqualTo(new[] { "C", "D", "E" }));
            Assert.That(await Query(new TaskQuery { Queues = [queue], SlaState = SlaState.Breached }), Is.EqualTo(new[] { "A" }));
            Assert.That(await Query(new TaskQuery { CustomerId = "C-E" + queue }), Is.EqualTo(new[] { "E" }));
            Assert.That(await Query(new TaskQuery { BusinessKey = "BK-D" + queue }), Is.EqualTo(new[] { "D" }));
            Assert.That(await Query(new TaskQuery { Queues = [queue], DueBefore = ProcessTestHarness.DefaultStart.AddMinutes(255) }), Is.EqualTo(new[] { "A", "B" }));
            Assert.That(await Query(new TaskQuery { Branch = "paris" + queue, Sort = TaskSort.Priority }), Is.EqualTo(new[] { "A", "B" }), "no queue: the task table itself");
        }

        var claimed = new List<string>();
        while (await h.Engine.Tasks.ClaimNextAsync("ann", [queue]) is { } next)
        {
            claimed.Add(names[next.Id]);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed, Is.EqualTo(new[] { "A", "B", "C", "D", "E" }));
            Assert.That(await Query(new TaskQuery { Queues = [queue], Unassigned = true }), Is.Empty);
            Assert.That(await Query(new TaskQuery { Queues = [queue], Assignee = "ann" }), Has.Length.EqualTo(5));
        }

        await CancelAllAsync(h, instances);
        Assert.That(await Query(new TaskQuery { Queues = [queue] }), Is.Empty, "closed tasks leave their queues");
    }

    [Test]
    public async Task Twenty_agents_pulling_from_a_thousand_tasks_get_each_exactly_once()
    {
        var h = await HarnessAsync();
        var queue = "pull-" + Guid.NewGuid().ToString("N")[..8];
        await h.DeployAsync(QueueJourney("queue-slow", "PT8H"));
        var instances = new List<ProcessInstanceHandle>();
        for (var i = 0; i < 1000; i++)
        {
            instances.Add(await h.StartAsync("queue-slow", Vars(("queue", queue), ("priority", (decimal)(i % 101)))));
        }

        var agents = Enumerable.Range(0, 20).Select(a => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            while (await h.Engine.Tasks.ClaimNextAsync($"agent-{a}", [queue]) is { } task)
            {
                mine.Add(task.Id);
            }

            return mine;
        })).ToList();
        var claimed = (await Task.WhenAll(agents)).SelectMany(ids => ids).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed, Has.Count.EqualTo(1000));
            Assert.That(claimed, Is.Unique);
        }

        await CancelAllAsync(h, instances);
    }

    [Test]
    public async Task Sla_clocks_warn_pause_breach_escalate_and_report_on_the_store()
    {
        var h = await HarnessAsync();
        var branch = "b-" + Guid.NewGuid().ToString("N")[..8];
        await h.DeployAsync(Process("sla-db", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="register" name="Register">
              <bpmn:extensionElements>
                <wf:userTask candidateGroups="front-office"/>
                <wf:sla target="PT2H" warnings="50%">
                  <wf:escalate at="breach" priority="90" publish="true" repeat="PT1H"/>
                </wf:sla>
              </bpmn:extensionElements>
            </bpmn:userTask>
            <bpmn:endEvent id="e"/>
            {Chain("s", "register", "e")}
            """, extensions: """<bpmn:extensionElements><wf:commitment level="1" name="Registered in 8 hours" target="PT8H"/></bpmn:extensionElements>"""));
        var from = h.Clock.GetUtcNow();
        var instance = await h.StartAsync("sla-db", Vars(("branch", branch)), businessKey: "K-" + branch);

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(90));
        await h.Engine.ServiceLevels.PauseClocksAsync(instance.Id, "waiting-for-customer", "ann");
        await h.AdvanceTimeAsync(TimeSpan.FromHours(5));
        await h.Engine.ServiceLevels.ResumeClocksAsync(instance.Id, "ann");
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(90)); // breach at 30 minutes, one repeat an hour later
        var task = (await instance.UserTasksAsync()).Single();
        var report = await h.Engine.ServiceLevels.GetServiceReportAsync(from, h.Clock.GetUtcNow(), branch: branch);
        await instance.CompleteUserTaskAsync("register");

        var clocks = await instance.ClocksAsync();
        var kinds = (await instance.HistoryAsync()).Where(e => e.Kind.StartsWith("clock-", StringComparison.Ordinal)).Select(e => e.Kind).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(task.Priority, Is.EqualTo(90));
            Assert.That(task.SlaState, Is.EqualTo(SlaState.Breached));
            Assert.That((await h.Engine.Queries.GetOutgoingMessagesAsync(instance.Id)).Select(m => m.Name), Is.EqualTo(new[] { "SlaBreached", "SlaBreached" }));
            Assert.That(kinds, Is.EqualTo(new[]
            {
                "clock-started", "clock-started", "clock-warning", "clock-paused", "clock-paused", "clock-resumed", "clock-resumed",
                "clock-breached", "clock-escalated", "clock-escalated", "clock-missed", "clock-met",
            }));
            Assert.That(clocks.Select(c => (c.Kind, c.State)), Is.EquivalentTo(new[] { ("commitment", SlaState.Met), ("sla", SlaState.Breached) }));
            Assert.That(clocks.Single(c => c.Kind == "sla").Paused, Is.EqualTo(TimeSpan.FromHours(5)));
            Assert.That(report.Single().Steps.Single().State, Is.EqualTo(SlaState.Breached));
            Assert.That(report.Single().Commitment.Remaining, Is.EqualTo(TimeSpan.FromHours(5)));
            Assert.That(report.Single().Watermelon, Is.False);
            Assert.That(await h.Engine.Worker.GetNextClockDueAsync(), Is.Null.Or.GreaterThan(h.Clock.GetUtcNow()));
        }
    }

    [Test]
    public async Task Instances_are_listed_by_branch_customer_and_status_and_incidents_by_branch()
    {
        var branch = "list-" + Guid.NewGuid().ToString("N")[..8];
        var process = "listed-" + branch;
        var h = await HarnessAsync(options => options.AddHandler("fails-" + branch, (_, _) => throw new InvalidOperationException("the ledger is down")));
        await h.DeployAsync(Process(process, $"""
            <bpmn:startEvent id="s"/>
            <bpmn:exclusiveGateway id="g" default="g_t"/>
            <bpmn:userTask id="t"/>
            {ServiceTask("post", "fails-" + branch)}
            {Flow("s", "g")}{Flow("g", "t", id: "g_t")}{Flow("g", "post", "=broken = true")}
            """));
        var mine = await h.StartAsync(process, new Dictionary<string, object?> { ["branch"] = branch, ["customerId"] = "ann" });
        var other = await h.StartAsync(process, new Dictionary<string, object?> { ["branch"] = branch, ["customerId"] = "bob" });
        var failing = await h.StartAsync(process, new Dictionary<string, object?> { ["branch"] = branch, ["customerId"] = "bob", ["broken"] = true });
        await h.Engine.Runtime.CancelAsync(other.Id);

        var ofBranch = await h.Engine.Queries.QueryInstancesAsync(new InstanceQuery { Branch = branch });
        var ofAnn = await h.Engine.Queries.QueryInstancesAsync(new InstanceQuery { Branch = branch, CustomerId = "ann" });
        var cancelled = await h.Engine.Queries.QueryInstancesAsync(new InstanceQuery { Branch = branch, Status = Runtime.ProcessInstanceStatus.Cancelled });
        var incidents = await h.Engine.Queries.GetOpenIncidentsAsync(branch);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ofBranch.Select(i => i.Id), Is.EquivalentTo(new[] { mine.Id, other.Id, failing.Id }));
            Assert.That(ofAnn.Single().Id, Is.EqualTo(mine.Id));
            Assert.That(cancelled.Single().Id, Is.EqualTo(other.Id), "an ended instance keeps its branch");
            Assert.That(incidents.Single().InstanceId, Is.EqualTo(failing.Id));
            Assert.That(await h.Engine.Queries.GetOpenIncidentsAsync("elsewhere-" + branch), Is.Empty);
        }

        await h.Engine.Runtime.CancelAsync(mine.Id);
        await h.Engine.Runtime.CancelAsync(failing.Id);
    }

    [Test]
    public async Task A_branch_saved_by_one_node_pins_the_version_another_node_starts()
    {
        var id = "branch-" + Guid.NewGuid().ToString("N")[..8];
        var process = "pinned-" + id;
        var a = await HarnessAsync();
        await a.DeployAsync(Process(process, $"""<bpmn:startEvent id="s"/><bpmn:userTask id="first"/>{Chain("s", "first")}"""));
        await a.DeployAsync(Process(process, $"""<bpmn:startEvent id="s"/><bpmn:userTask id="second"/>{Chain("s", "second")}"""));
        await a.ApproveAsync(process, 1); // a branch pins only approved versions
        await a.ApproveAsync(process, 2);
        await a.Engine.Branches.SaveAsync(new Branch(id, "First name") { Pins = new Dictionary<string, int> { [process] = 2 } });
        await a.Engine.Branches.SaveAsync(new Branch(id, "Renamed") { Pins = new Dictionary<string, int> { [process] = 1 }, Settings = new Dictionary<string, decimal> { ["limit"] = 99.5m } });

        var b = await HarnessAsync();
        var started = await b.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = id });
        var branch = await b.Engine.Branches.GetAsync(id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await b.Engine.Queries.GetInstanceAsync(started)).Version, Is.EqualTo(1));
            Assert.That(branch.Name, Is.EqualTo("Renamed"));
            Assert.That(branch.Settings["limit"], Is.EqualTo(99.5m));
            Assert.That((await b.Engine.Branches.GetAllAsync()).Count(x => x.Id == id), Is.EqualTo(1));
        }

        await b.Engine.Runtime.CancelAsync(started);
    }

    [Test]
    public async Task Branch_changes_made_at_once_on_two_nodes_are_each_kept_or_refused_never_lost()
    {
        var id = "race-" + Guid.NewGuid().ToString("N")[..8];
        var a = await HarnessAsync();
        var b = await HarnessAsync();
        await a.Engine.Branches.SaveAsync(new Branch(id, "Racing"));

        // Each change either lands on what the others left, or (having lost every retry) is refused as a conflict.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            try
            {
                await (i % 2 == 0 ? a : b).Engine.Branches.UpdateAsync(id, branch => branch with { Settings = new Dictionary<string, decimal>(branch.Settings) { ["s" + i] = i } });
                return "s" + i;
            }
            catch (WorkflowConflictException)
            {
                return null;
            }
        })));
        var saved = await a.Engine.Branches.GetAsync(id);
        var landed = outcomes.OfType<string>().ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(landed, Is.Not.Empty);
            Assert.That(saved.Settings.Keys, Is.EquivalentTo(landed), "every change that succeeded is there: none overwrote another");
            Assert.That(saved.Revision, Is.EqualTo(1 + landed.Count));
        }
    }

    [Test]
    public async Task A_calendar_saved_by_one_node_is_used_and_recalculated_by_another()
    {
        var layer = "branch-" + Guid.NewGuid().ToString("N")[..8];
        var weekdays = Enum.GetValues<DayOfWeek>().Where(d => d is not DayOfWeek.Saturday and not DayOfWeek.Sunday)
            .ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => [WorkingInterval.Parse("09:00-17:00")]);
        var a = await HarnessAsync();
        await a.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer(layer, DateTimeOffset.MinValue) { TimeZone = "UTC", Week = weekdays });
        var b = await HarnessAsync();
        await b.DeployAsync(Process("calendar-db", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="t"><bpmn:extensionElements><wf:sla target="16 working hours" calendar="{layer}"/></bpmn:extensionElements></bpmn:userTask>
            {Chain("s", "t")}
            """));
        var instance = await b.StartAsync("calendar-db");
        var before = (await instance.ClocksAsync()).Single().TargetAt;

        var moved = await a.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer(layer, ProcessTestHarness.DefaultStart.AddDays(1)) { TimeZone = "UTC", Week = weekdays, Holidays = [new DateOnly(2025, 1, 7)] });
        var after = (await instance.ClocksAsync()).Single().TargetAt;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.EqualTo(ProcessTestHarness.DefaultStart.AddDays(1).AddHours(8)), "Monday and Tuesday");
            Assert.That(moved, Is.EqualTo(1));
            Assert.That(after, Is.EqualTo(ProcessTestHarness.DefaultStart.AddDays(2).AddHours(8)), "Tuesday became a holiday");
        }

        await CancelAllAsync(b, [instance]);
    }

    [Test]
    public async Task Due_clocks_are_leased_to_one_node_until_the_lease_expires()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("clock-lease", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="t"><bpmn:extensionElements><wf:sla target="PT1M"/></bpmn:extensionElements></bpmn:userTask>
            {Chain("s", "t")}
            """));
        var instance = await h.StartAsync("clock-lease");
        var store = NewStore();
        var now = h.Clock.GetUtcNow().AddMinutes(5);

        var first = await store.ClaimDueClocksAsync(now, 100, "node-a", now, now.AddMinutes(1), default);
        var second = await store.ClaimDueClocksAsync(now, 100, "node-b", now, now.AddMinutes(1), default);
        var later = await store.ClaimDueClocksAsync(now.AddMinutes(2), 100, "node-b", now.AddMinutes(2), now.AddMinutes(3), default);

        var mine = first.Where(c => c.InstanceId == instance.Id).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(mine, Has.Count.EqualTo(1));
            Assert.That(second.Where(c => c.InstanceId == instance.Id), Is.Empty);
            Assert.That(later.Where(c => c.InstanceId == instance.Id).Select(c => c.Id), Is.EqualTo(mine.Select(c => c.Id)));
        }

        await CancelAllAsync(h, [instance]);
    }
}

public abstract partial class StoreSuite
{
    [Test]
    public async Task A_task_is_read_with_its_instance_and_its_open_clocks_as_each_alone_reads_them()
    {
        var h = await HarnessAsync();
        var queue = "together-" + Guid.NewGuid().ToString("N")[..8];
        await h.DeployAsync(QueueJourney("read-together", "PT1H"));
        var instance = await h.StartAsync("read-together", Vars(("queue", queue), ("priority", 50m), ("branch", "b-" + queue), ("customerId", "C-" + queue)), businessKey: "BK-" + queue);
        var taskId = (await instance.UserTasksAsync()).Single().Id;
        var store = NewStore();

        var read = await store.GetTaskWithInstanceAsync(taskId, openClocks: true, decisionChoiceStamp: true, default);
        var withoutClocks = await store.GetTaskWithInstanceAsync(taskId, openClocks: false, decisionChoiceStamp: false, default);
        var task = await store.GetUserTaskAsync(taskId, default);
        var row = await store.GetInstanceAsync(instance.Id, default);
        var clocks = await store.GetClocksOfInstancesAsync([instance.Id], openOnly: true, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read, Is.Not.Null);
            Assert.That(read!.Task with { CandidateGroups = Array.Empty<string>(), CandidateUsers = Array.Empty<string>() }, Is.EqualTo(task! with { CandidateGroups = Array.Empty<string>(), CandidateUsers = Array.Empty<string>() }));
            Assert.That(read.Task.CandidateGroups, Is.EqualTo(new[] { queue }));
            Assert.That(read.Instance! with { State = Array.Empty<byte>() }, Is.EqualTo(row! with { State = Array.Empty<byte>() }), "the instance's row, its branch and customer included");
            Assert.That(read.Instance.State, Is.EqualTo(row.State));
            Assert.That((read.Instance.Branch, read.Instance.CustomerId), Is.EqualTo(("b-" + queue, "C-" + queue)));
            Assert.That(clocks, Is.Not.Empty);
            Assert.That(read.OpenClocks ?? clocks, Is.EqualTo(clocks), "the open clocks, where the store reads them with the task (a server)");
            Assert.That(withoutClocks!.OpenClocks, Is.Null);
            Assert.That((await store.GetInstanceWithClocksAsync(instance.Id, openClocks: true, default)).OpenClocks ?? clocks, Is.EqualTo(clocks));
            Assert.That((await store.GetInstanceWithClocksAsync(instance.Id, openClocks: true, default)).Instance!.RowVersion, Is.EqualTo(row.RowVersion));
            Assert.That((await store.GetInstanceWithClocksAsync(Guid.NewGuid(), openClocks: true, default)).Instance, Is.Null);
            Assert.That(await store.GetTaskWithInstanceAsync(Guid.NewGuid(), openClocks: true, decisionChoiceStamp: true, default), Is.Null);
        }

        await h.Engine.Runtime.CancelAsync(instance.Id);
    }
}
