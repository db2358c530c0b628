using NUnit.Framework;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The store suite: the contract every store keeps, one set of tests run against the in-memory store and
/// against every SQL dialect on a real database (a fresh one per fixture). Subclasses say how to create the
/// store and drop it; <see cref="SqlStoreSuite"/> adds what only a database has (migrations, rollback).
/// </summary>
public abstract partial class StoreSuite
{
    /// <summary>Creates an empty store for this fixture.</summary>
    protected abstract Task CreateStoreAsync();

    protected abstract Task DropStoreAsync();

    /// <summary>A store on this fixture's data: a new connection's worth for a database, the one store in memory.</summary>
    private protected abstract IWorkflowStore NewStore();

    [OneTimeSetUp]
    public Task CreateStore() => CreateStoreAsync();

    [OneTimeTearDown]
    public Task DropStore() => DropStoreAsync();

    private protected Task<ProcessTestHarness> HarnessAsync(Action<WorkflowEngineOptions>? configure = null) =>
        ProcessTestHarness.CreateAsync((options, clock) => Task.FromResult(new WorkflowEngine(NewStore(), options, clock, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)), configure: configure);

    private protected static readonly string s_journey = Process("journey", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:parallelGateway id="fork"/>
        {UserTask("register")}
        {ServiceTask("check", "credit-check")}
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
        <bpmn:intermediateCatchEvent id="outage"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateCatchEvent>
        <bpmn:parallelGateway id="join"/>
        <bpmn:exclusiveGateway id="big" default="small"/>
        {UserTask("review")}
        <bpmn:endEvent id="end"/>
        {Chain("start", "fork")}
        {Chain("fork", "register", "join")}{Chain("fork", "check", "join")}{Chain("fork", "wait", "join")}{Chain("fork", "reply", "join")}{Chain("fork", "outage", "join")}
        {Chain("join", "big")}{Flow("big", "review", "=amount > 1000")}{Flow("big", "end", id: "small")}{Chain("review", "end")}
        """, Message("m", "customer-reply", "=caseId") + """<bpmn:signal id="s" name="outage"/>""");

    [Test]
    public async Task A_journey_runs_through_tasks_jobs_timers_messages_and_signals_on_the_store()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_journey);
        var instance = await h.StartAsync("journey", Vars(("caseId", "DB-1"), ("amount", 1500)), businessKey: "DB-1");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "check", "outage", "register", "reply", "wait" }));
        await instance.CompleteUserTaskAsync("register", Vars(("channel", "shop")));
        await instance.CompleteJobAsync("check", Vars(("score", 700)));
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));
        await h.CorrelateAsync("customer-reply", "DB-1", Vars(("reply", "ok")));
        await h.BroadcastSignalAsync("outage");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
            Assert.That(await instance.VariableAsync("score"), Is.EqualTo(700m));
            Assert.That(await instance.VariableAsync("reply"), Is.EqualTo("ok"));
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "element-completed" && e.ElementId == "wait"), Is.EqualTo(1));
        }

        await instance.CompleteUserTaskAsync("review");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task Deploying_unchanged_xml_keeps_the_version_and_changed_xml_adds_one()
    {
        var h = await HarnessAsync();
        var v1 = Process("versioned", $"""<bpmn:startEvent id="s"/>{UserTask("a")}{Chain("s", "a")}""");
        var v2 = Process("versioned", $"""<bpmn:startEvent id="s"/>{UserTask("b")}{Chain("s", "b")}""");

        var first = await h.DeployAsync(v1);
        var running = await h.StartAsync("versioned");
        var same = await h.DeployAsync(v1);
        var second = await h.DeployAsync(v2);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(same.Processes.Single().Version, Is.EqualTo(first.Processes.Single().Version));
            Assert.That(same.Processes.Single().IsNew, Is.False);
            Assert.That(second.Processes.Single().Version, Is.EqualTo(first.Processes.Single().Version + 1));
            Assert.That(await running.ActiveElementsAsync(), Is.EqualTo(new[] { "a" }), "a running instance stays on its version");
        }
    }

    [Test]
    public async Task Buffered_messages_incidents_and_call_activities_work_on_the_store()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("db-child", $"""<bpmn:startEvent id="cs"/>{UserTask("childTask")}{Chain("cs", "childTask")}"""));
        await h.DeployAsync(Process("db-parent", $"""
            <bpmn:startEvent id="ps"/>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="db-child"/></bpmn:extensionElements></bpmn:callActivity>
            <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:exclusiveGateway id="g"/>{UserTask("ok")}
            {Chain("ps", "call", "reply", "g")}{Flow("g", "ok", "=decision = \"yes\"")}
            """, Message("m", "decision", "=caseId")));
        var parent = await h.StartAsync("db-parent", Vars(("caseId", "P-1")));

        await h.CorrelateAsync("decision", "P-1", Vars(("decision", "maybe")), messageId: "d-1", timeToLive: TimeSpan.FromMinutes(5));
        var duplicate = await h.CorrelateAsync("decision", "P-1", messageId: "d-1", timeToLive: TimeSpan.FromMinutes(5));
        await (await h.InstancesOfAsync("db-child")).Single().CompleteUserTaskAsync("childTask");

        var incident = (await parent.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(duplicate.Duplicate, Is.True);
            Assert.That(incident.ElementId, Is.EqualTo("g"), "the buffered message was correlated, then no flow's condition held");
        }

        await h.Engine.Runtime.SetVariablesAsync(parent.Id, Vars(("decision", "yes")));
        await h.Engine.Runtime.ResolveIncidentAsync(incident.Id);
        Assert.That(await parent.ActiveElementsAsync(), Is.EqualTo(new[] { "ok" }));
    }

    [Test]
    public async Task Two_agents_completing_one_task_one_wins_and_the_other_gets_a_conflict()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("race", $"""<bpmn:startEvent id="s"/>{UserTask("t")}{UserTask("next")}{Chain("s", "t", "next")}"""));
        var instance = await h.StartAsync("race");
        var task = (await instance.UserTasksAsync()).Single();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(async () =>
        {
            try
            {
                await h.Engine.Tasks.CompleteAsync(task.Id, Vars(("by", i)));
                return "won";
            }
            catch (WorkflowConflictException)
            {
                return "conflict";
            }
        })));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.Order(), Is.EqualTo(new[] { "conflict", "won" }));
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "next" }));
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "task-completed"), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Ten_agents_claiming_one_task_at_once_leave_exactly_one_owner()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("claim-race", $"""<bpmn:startEvent id="s"/>{UserTask("t")}{Chain("s", "t")}"""));
        var instance = await h.StartAsync("claim-race");
        var task = (await instance.UserTasksAsync()).Single();

        var winners = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => Task.Run(async () =>
        {
            try
            {
                await h.Engine.Tasks.ClaimAsync(task.Id, $"agent-{i}");
                return $"agent-{i}";
            }
            catch (WorkflowConflictException)
            {
                return null;
            }
        })));

        var owner = (await instance.UserTasksAsync()).Single().Assignee;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(winners.Where(w => w is not null), Is.EqualTo(new[] { owner }));
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "task-claimed"), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Due_timers_are_leased_to_one_node_until_the_lease_expires()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("lease", $"""<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>{Chain("s", "t")}"""));
        var instance = await h.StartAsync("lease");
        var store = NewStore();
        var now = h.Clock.GetUtcNow().AddMinutes(5);

        var a = await store.ClaimDueTimersAsync(now, 100, "node-a", now, now.AddMinutes(1), default);
        var b = await store.ClaimDueTimersAsync(now, 100, "node-b", now, now.AddMinutes(1), default);
        var atItsEnd = await store.ClaimDueTimersAsync(now.AddMinutes(1), 100, "node-b", now.AddMinutes(1), now.AddMinutes(2), default);
        var later = await store.ClaimDueTimersAsync(now.AddMinutes(2), 100, "node-b", now.AddMinutes(2), now.AddMinutes(3), default);

        var mine = a.Where(t => t.InstanceId == instance.Id).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(mine, Has.Count.EqualTo(1));
            Assert.That(b.Where(t => t.InstanceId == instance.Id), Is.Empty);
            Assert.That(atItsEnd.Where(t => t.InstanceId == instance.Id), Is.Empty, "a lease holds up to and including its end");
            Assert.That(later.Where(t => t.InstanceId == instance.Id).Select(t => t.Id), Is.EqualTo(mine.Select(t => t.Id)));
        }
    }

    [Test]
    public async Task Async_jobs_are_claimed_by_one_node_and_run_by_its_executor()
    {
        var calls = 0;
        var h = await HarnessAsync(o => o.AddHandler("db-async", (_, _) =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("done", true)));
        }));
        await h.DeployAsync(Process("asyncjob", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:serviceTask id="call"><bpmn:extensionElements><wf:taskDefinition type="db-async" async="true"/></bpmn:extensionElements></bpmn:serviceTask>
            {UserTask("after")}{Chain("s", "call", "after")}
            """));
        var instance = await h.StartAsync("asyncjob");
        var now = h.Clock.GetUtcNow();
        var other = await NewStore().ClaimDueJobsAsync(["db-async"], now, 10, "node-x", now, now.AddSeconds(30), default);
        var ranWhileLeased = await h.Engine.Worker.RunDueJobsAsync();
        h.Clock.Advance(TimeSpan.FromMinutes(1));

        var ranAfterLease = await h.Engine.Worker.RunDueJobsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(other.Select(j => j.InstanceId), Does.Contain(instance.Id));
            Assert.That(ranWhileLeased, Is.Zero, "another node holds the lease");
            Assert.That(ranAfterLease, Is.EqualTo(1), "the lease ran out and this node took the job over");
            Assert.That(calls, Is.EqualTo(1));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }
    }

    [Test]
    public async Task A_stale_write_is_refused_by_the_row_version()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("stale", $"""<bpmn:startEvent id="s"/>{UserTask("t")}{Chain("s", "t")}"""));
        var instance = await h.StartAsync("stale");
        var store = NewStore();
        var record = (await store.GetInstanceAsync(instance.Id, default))!;
        var changes = new ChangeSet();
        changes.Instances.Add(new InstanceWrite(record with { RowVersion = record.RowVersion + 1 }, record.RowVersion));
        await store.CommitAsync(changes, default);

        var stale = new ChangeSet();
        stale.Instances.Add(new InstanceWrite(record with { RowVersion = record.RowVersion + 1 }, record.RowVersion));

        Assert.That(async () => await store.CommitAsync(stale, default), Throws.TypeOf<ConcurrencyConflictException>());
    }

    [Test]
    public async Task History_retention_deletes_only_the_history_of_instances_finished_long_enough_ago()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("retained", $"""<bpmn:startEvent id="s"/>{UserTask("t")}<bpmn:endEvent id="e"/>{Chain("s", "t", "e")}"""));
        var finished = await h.StartAsync("retained");
        await finished.CompleteUserTaskAsync("t");
        var running = await h.StartAsync("retained");
        await h.AdvanceTimeAsync(TimeSpan.FromDays(40));
        var recent = await h.StartAsync("retained");
        await recent.CompleteUserTaskAsync("t");

        var deleted = await h.Engine.Worker.DeleteHistoryAsync(TimeSpan.FromDays(30));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted, Is.GreaterThan(0));
            Assert.That(await finished.HistoryAsync(), Is.Empty);
            Assert.That(await running.HistoryAsync(), Is.Not.Empty, "a running instance keeps its history");
            Assert.That(await recent.HistoryAsync(), Is.Not.Empty, "a recently finished instance keeps its history");
        }
    }
}
