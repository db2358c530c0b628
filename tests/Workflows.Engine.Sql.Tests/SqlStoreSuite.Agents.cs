using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A crowd of agents pulling the next task at once: each gets a different task, the crowd takes the head of the queue
/// in order, and no task is claimed twice.
/// </summary>
public abstract partial class SqlStoreSuite
{
    [Test]
    public async Task Twenty_agents_pulling_at_once_take_the_twenty_best_tasks_and_each_task_once()
    {
        var engine = new WorkflowEngine(NewSqlStore(), new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process("crowd", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("handle", """<bpmn:extensionElements><wf:userTask candidateGroups="crowd-queue" priority="=priority"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "handle", "end")}
            """));
        var priorityOf = new Dictionary<Guid, int>();
        for (var i = 0; i < 60; i++)
        {
            var priority = (i * 37) % 60; // every priority once, not in the order of creation
            var instance = await engine.Runtime.StartAsync(new StartInstance("crowd") { Variables = Vars(("priority", priority)) });
            priorityOf[(await engine.Tasks.GetOpenAsync(instance)).Single().Id] = priority;
        }

        var agents = Enumerable.Range(1, 20).Select(a => $"agent-{a}").ToList();
        var first = await Task.WhenAll(agents.Select(agent => Task.Run(() => engine.Tasks.ClaimNextAsync(agent, ["crowd-queue"]))));

        // Then every agent works the queue dry: claim, complete, claim again.
        var claims = new System.Collections.Concurrent.ConcurrentBag<Guid>(first.Select(t => t!.Id));
        await Task.WhenAll(agents.Select((agent, a) => Task.Run(async () =>
        {
            await engine.Tasks.CompleteAsync(first[a]!.Id, null, agent);
            while (await engine.Tasks.ClaimNextAsync(agent, ["crowd-queue"]) is { } next)
            {
                claims.Add(next.Id);
                await engine.Tasks.CompleteAsync(next.Id, null, agent);
            }
        })));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Select(t => priorityOf[t!.Id]).Order(), Is.EqualTo(Enumerable.Range(40, 20)), "the crowd took the twenty highest priorities");
            Assert.That(claims.Order(), Is.EqualTo(priorityOf.Keys.Order()), "every task was claimed, and once");
        }
    }

    [Test]
    public async Task Next_task_reads_its_queues_page_on_sqlite_through_a_statement_kept_prepared()
    {
        var store = NewSqlStore();
        if (store.Sessions is not { } sessions)
        {
            Assert.Ignore("only SQLite keeps sessions; a server's page is one round trip whatever runs it");
            return;
        }

        var engine = await EngineWithOneTaskAsync(store, "paged", "paged-a,paged-b");
        var tasks = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var instance = await engine.Runtime.StartAsync(new StartInstance("paged") { Variables = Vars(("branch", "paged-branch")) });
            tasks.Add((await engine.Tasks.GetOpenAsync(instance)).Single().Id);
        }

        var query = new TaskQuery { Queues = ["paged-a", "paged-b"], CandidateUser = "paged-agent", Unassigned = true, Branch = "paged-branch" };
        var first = await store.QueryTaskIdsAsync(query, 8, default);
        var (prepared, reused, byDriver) = (sessions.Prepared, sessions.Reused, sessions.ReadByDriver);
        var again = await store.QueryTaskIdsAsync(query, 8, default);
        (prepared, reused, byDriver) = (sessions.Prepared - prepared, sessions.Reused - reused, sessions.ReadByDriver - byDriver);
        var claimed = new List<Guid>();
        while (await engine.Tasks.ClaimNextAsync("paged-agent", ["paged-a", "paged-b"], "paged-branch") is { } next)
        {
            claimed.Add(next.Id);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EquivalentTo(tasks));
            Assert.That(again, Is.EqualTo(first));
            Assert.That(reused, Is.EqualTo(1), "the page's statement ran again through a session");
            Assert.That(prepared, Is.Zero, "without being prepared again");
            Assert.That(byDriver, Is.Zero, "and read without the driver's reader");
            Assert.That(claimed, Is.EquivalentTo(tasks), "next-task claimed every task of the page, each once");
        }
    }

    [Test]
    public async Task A_claim_moves_its_instance_s_row_version_and_leaves_the_stored_state_as_it_was()
    {
        var store = NewSqlStore();
        var engine = await EngineWithOneTaskAsync(store, "kept", "kept-queue");
        var instance = await engine.Runtime.StartAsync(new StartInstance("kept") { Variables = Vars(("n", 1)) });
        await using var connection = await store.OpenAsync(default);
        async Task<(byte[] State, long Version)> RowAsync() =>
            await connection.QuerySingleAsync<(byte[], long)>("SELECT state, row_version FROM wf_instances WHERE id = @instance", new { instance });

        // The same state with a space after its first comma: read as it was, but never written so by the serializer (and
        // in the tests' Debug builds, the check that the claim left the state unchanged compares states, not bytes).
        var (written, _) = await RowAsync();
        var comma = written.AsSpan().IndexOf((byte)',') + 1;
        byte[] spaced = [.. written.AsSpan(0, comma), (byte)' ', .. written.AsSpan(comma)];
        await connection.ExecuteAsync("UPDATE wf_instances SET state = @spaced WHERE id = @instance", new { spaced, instance });
        var (_, version) = await RowAsync();

        var claimed = await engine.Tasks.ClaimNextAsync("kept-agent", ["kept-queue"]);
        var afterClaim = await RowAsync();
        var rival = Assert.ThrowsAsync<WorkflowConflictException>(() => engine.Tasks.ClaimAsync(claimed!.Id, "other-agent"));
        await engine.Tasks.CompleteAsync(claimed!.Id, null, "kept-agent");
        var afterCompletion = await RowAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed.Assignee, Is.EqualTo("kept-agent"));
            Assert.That(afterClaim.State, Is.EqualTo(spaced), "the claim wrote no state: the bytes stored are the ones it read");
            Assert.That(afterClaim.Version, Is.EqualTo(version + 1), "its row version moved, so a command that read the instance before it loses");
            Assert.That(rival, Is.Not.Null, "another agent's claim of the task is refused");
            Assert.That(afterCompletion.State, Is.Not.EqualTo(spaced), "the completion, which runs the tokens, writes its state");
            Assert.That((await engine.Queries.GetInstanceAsync(instance)).Status, Is.EqualTo(Workflows.Engine.Runtime.ProcessInstanceStatus.Completed));
        }
    }

    [Test]
    public async Task A_claim_is_committed_without_the_change_set_s_rarely_changed_lists()
    {
        var store = NewSqlStore();
        var engine = await EngineWithOneTaskAsync(store, "plain", "plain-queue");
        await engine.Runtime.StartAsync(new StartInstance("plain"));
        var committed = new List<ChangeSet>();
        store.BeforeCommit = changes =>
        {
            committed.Add(changes);
            return Task.CompletedTask;
        };
        var claimed = await engine.Tasks.ClaimNextAsync("plain-agent", ["plain-queue"]);
        store.BeforeCommit = null;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed?.Assignee, Is.EqualTo("plain-agent"));
            Assert.That(committed.Single().TasksUpdated, Has.Count.EqualTo(1));
            Assert.That(committed.Single().HasRareChanges, Is.False, "the task's write asked whether it was requeued without making the rare lists, whose writes would all have run");
        }
    }

    [Test]
    public async Task A_claim_unclaim_or_comment_reads_none_of_its_instance_s_clocks_and_keeps_the_task_s_mark()
    {
        var store = NewSqlStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process("timed", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("handle", """<bpmn:extensionElements><wf:userTask candidateGroups="timed-queue"/><wf:sla target="PT1H"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "handle", "end")}
            """));
        var instance = await engine.Runtime.StartAsync(new StartInstance("timed"));
        var taskId = (await engine.Tasks.GetOpenAsync(instance)).Single().Id;
        var marked = (await store.GetUserTaskAsync(taskId, default))!.Mark;
        var clocksBefore = await store.GetClocksOfInstancesAsync([instance], openOnly: true, default);

        var reads = store.ClockReads;
        var claimed = await engine.Tasks.ClaimNextAsync("timed-agent", ["timed-queue"]);
        await engine.Tasks.CommentAsync(taskId, "timed-agent", "looking into it");
        await engine.Tasks.UnclaimAsync(taskId, "timed-agent");
        await engine.Tasks.ClaimAsync(taskId, "timed-agent");
        var readByTaskUpdates = store.ClockReads - reads;
        var kept = (await store.GetUserTaskAsync(taskId, default))!.Mark;

        reads = store.ClockReads;
        await engine.Tasks.CompleteAsync(taskId, null, "timed-agent");
        var readByCompletion = store.ClockReads - reads;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(clocksBefore, Is.Not.Empty, "the instance keeps a clock");
            Assert.That(marked.DueAt, Is.Not.Null, "which marks its task");
            Assert.That(claimed?.Id, Is.EqualTo(taskId));
            Assert.That(readByTaskUpdates, Is.Zero, "a claim, a comment and an unclaim change the task's row alone: no clock is read for them");
            Assert.That(kept, Is.EqualTo(marked), "the task's mark is the one its row held");
            Assert.That(readByCompletion, Is.EqualTo(1), "the completion, which runs the tokens, reads the clocks it stops");
            Assert.That(await store.GetClocksOfInstancesAsync([instance], openOnly: true, default), Is.Empty, "and stops them");
        }
    }

    // An engine on the store with process id deployed: its instances wait at one user task of the queues given.
    private static async Task<WorkflowEngine> EngineWithOneTaskAsync(SqlWorkflowStore store, string id, string candidateGroups)
    {
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            {UserTask("handle", $"""<bpmn:extensionElements><wf:userTask candidateGroups="{candidateGroups}"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "handle", "end")}
            """));
        return engine;
    }
}
