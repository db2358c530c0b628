using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Group commit: commands that reach the commit together are written in one transaction, each still guarded on its
/// own. One whose guard fails is left out and retried; the others commit, each once.
/// </summary>
public abstract partial class SqlStoreSuite
{
    [Test]
    public async Task Commands_committing_together_share_a_transaction_and_one_that_loses_its_guard_does_not_fail_the_others()
    {
        var store = NewSqlStore();
        var (engine, instances, tasks) = await WaitingAtOneTaskAsync(store, "grouped", 24);

        // The first commit is held at its first write until every command has made its reads and reached the commit:
        // the others pile up behind it and go in one group. The first task is completed twice at once, so one of the
        // two loses its row-version guard inside a group.
        // A command that fails before it reaches the commit counts as arrived (it never will): the duplicate completion
        // of the first task is refused at its read ("already completed") when, on PostgreSQL, another connection's
        // group committed the first completion while the held one waits.
        var commands = tasks.Count + 1;
        var arrivals = new CommitArrivals(commands);
        var reachedCommit = new AsyncLocal<StrongBox<bool>>();

        store.BeforeCommit = _ =>
        {
            if (reachedCommit.Value is { } reached)
            {
                reached.Value = true;
            }

            arrivals.Arrive();
            return Task.CompletedTask;
        };
        var held = 0;
        store.FailureInjection = async _ =>
        {
            if (Interlocked.Exchange(ref held, 1) == 0)
            {
                // Generous: on a loaded 2-core machine 25 commands can take many seconds to make their reads and reach the commit.
                await arrivals.All.WaitAsync(TimeSpan.FromSeconds(120));
            }
        };

        async Task CompleteAsync(Guid task)
        {
            var reached = reachedCommit.Value = new StrongBox<bool>();
            try
            {
                await engine.Tasks.CompleteAsync(task, null, "agent");
            }
            catch when (!reached.Value)
            {
                arrivals.Arrive();
                throw;
            }
        }

        var completions = tasks.Select(id => Task.Run(() => CompleteAsync(id)))
            .Append(Task.Run(() => CompleteAsync(tasks[0])))
            .ToList();
        var outcomes = new List<Exception?>();
        foreach (var completion in completions)
        {
            try
            {
                await completion;
                outcomes.Add(null);
            }
            catch (WorkflowConflictException e)
            {
                outcomes.Add(e);
            }
        }

        store.BeforeCommit = null;
        store.FailureInjection = null;
        var completedOnce = await CompletedOnceAsync(store, instances);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(store.LargestGroup, Is.GreaterThan(1), "commands shared a transaction");
            Assert.That(outcomes.Count(o => o is not null), Is.EqualTo(1), "only the second completion of the first task failed");
            Assert.That(completedOnce, Is.EqualTo(tasks.Count), "every task was completed once and every instance ended once");
            if (store.Dialect.Provider == SqlProvider.Sqlite)
            {
                Assert.That(store.SavepointsTaken, Is.GreaterThan(1), "a completion, which its instance's guard may refuse, is written after a savepoint");
            }
        }
    }

    // With a clock, each start adds its task's SLA clock too (the module's part of the change set): still only rows of its own.
    [TestCase(false)]
    [TestCase(true)]
    public async Task Starts_committing_together_share_a_transaction_and_one_that_fails_leaves_nothing_and_does_not_fail_the_others(bool clocks)
    {
        var store = NewSqlStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        var process = $"started-{Guid.NewGuid():N}"[..20];
        var sla = clocks ? """<bpmn:extensionElements><wf:sla target="PT4H"/></bpmn:extensionElements>""" : "";
        await engine.Deployments.DeployAsync(Process(process, $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work", sla)}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            """));
        await engine.Runtime.StartAsync(new StartInstance(process)); // the version read and its statements made once
        var starts = 12;
        var arrivals = new CommitArrivals(starts);
        store.BeforeCommit = arrivals.OnCommit;

        // The first commit is held at its first write until every start has reached the commit, so they go in one group;
        // the third start written fails after its instance and task rows, before its history.
        var held = 0;
        var histories = 0;
        store.FailureInjection = async step =>
        {
            if (Interlocked.Exchange(ref held, 1) == 0)
            {
                await arrivals.All.WaitAsync(TimeSpan.FromSeconds(120));
            }

            if (step == "history" && Interlocked.Increment(ref histories) == 3)
            {
                throw new InvalidOperationException("injected: the third start's history");
            }
        };
        var savepointsBefore = store.SavepointsTaken;
        var outcomes = await Task.WhenAll(Enumerable.Range(0, starts).Select(_ => Task.Run(async () =>
        {
            try
            {
                return (Id: await engine.Runtime.StartAsync(new StartInstance(process)), Failure: (Exception?)null);
            }
            catch (InvalidOperationException e)
            {
                return (Id: Guid.Empty, Failure: e);
            }
        })));
        store.BeforeCommit = null;
        store.FailureInjection = null;

        var started = outcomes.Where(o => o.Failure is null).Select(o => o.Id).ToList();
        var whole = 0;
        foreach (var id in started)
        {
            var history = await store.GetHistoryAsync(id, default);
            whole += (await engine.Tasks.GetOpenAsync(id)).Count == 1 && history.Count(h => h.Kind == "instance-started") == 1 ? 1 : 0;
        }

        await using var connection = await store.OpenAsync(default);
        var rows = await connection.QuerySingleAsync<(long Instances, long Tasks, long Clocks)>(
            "SELECT (SELECT COUNT(*) FROM wf_instances WHERE process_id = @process), (SELECT COUNT(*) FROM wf_user_tasks WHERE process_id = @process), (SELECT COUNT(*) FROM wf_sla_clocks WHERE process_id = @process)",
            new { process });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(store.LargestGroup, Is.GreaterThan(1), "the starts shared a transaction");
            Assert.That(outcomes.Select(o => o.Failure?.Message).OfType<string>(), Is.EqualTo(new[] { "injected: the third start's history" }), "only the start that failed failed");
            Assert.That(whole, Is.EqualTo(starts - 1), "every other start has its task and its history, once");
            Assert.That(rows, Is.EqualTo(((long)starts, (long)starts, clocks ? (long)starts : 0L)), "the failed start left no instance, no task and no clock (the first start's are the other one)");
            if (store.Dialect.Provider == SqlProvider.Sqlite)
            {
                Assert.That(store.SavepointsTaken, Is.EqualTo(savepointsBefore), "a start, which no guard can refuse, takes no savepoint");
            }
        }
    }

    // The first completion is held at its task's write, alone in its group, until the four others have reached the commit.
    // failingWrite 1: it fails there, first written in its group, with no savepoint: its transaction is dropped and the four
    // are written after it, in a group whose first takes none either. failingWrite 2: it is written; on SQLite the four join
    // its group before its commit (CommitQueue.TakeArrived) and the first of them fails at its task's write, after a
    // savepoint: rolled back to it, and the three others commit in the same transaction.
    [TestCase(1)]
    [TestCase(2)]
    public async Task The_first_command_written_in_a_group_takes_no_savepoint_and_one_that_fails_leaves_the_others_committed(int failingWrite)
    {
        var store = NewSqlStore();
        var sqlite = store.Dialect.Provider == SqlProvider.Sqlite;
        var (engine, instances, tasks) = await WaitingAtOneTaskAsync(store, $"first-{Guid.NewGuid():N}"[..20], 5);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var taskWrites = 0;
        store.FailureInjection = async step =>
        {
            if (step != "tasks-closed")
            {
                return; // one a completion (the instance's row may take two statements, one a step)
            }

            var write = Interlocked.Increment(ref taskWrites);
            if (write == 1)
            {
                held.TrySetResult();
                await release.Task.WaitAsync(TimeSpan.FromSeconds(120));
            }

            if (write == failingWrite)
            {
                throw new InvalidOperationException("injected: a completion's task write");
            }
        };
        var savepointsBefore = store.SavepointsTaken;
        async Task<Exception?> CompleteAsync(Guid task)
        {
            try
            {
                await engine.Tasks.CompleteAsync(task, null, "agent");
                return null;
            }
            catch (InvalidOperationException e)
            {
                return e;
            }
        }

        var first = Task.Run(() => CompleteAsync(tasks[0]));
        await held.Task.WaitAsync(TimeSpan.FromSeconds(120));
        store.BeforeCommit = _ =>
        {
            if (Interlocked.Increment(ref arrived) == 4)
            {
                allArrived.TrySetResult();
            }

            return Task.CompletedTask;
        };
        var others = tasks.Skip(1).Select(task => Task.Run(() => CompleteAsync(task))).ToList();
        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(120));
        await AllQueuedAsync(store, sqlite ? 4 : 0);
        release.TrySetResult();
        var outcomes = await Task.WhenAll(others.Prepend(first));
        store.BeforeCommit = null;
        store.FailureInjection = null;

        var completedOnce = await CompletedOnceAsync(store, instances);

        var failed = Array.FindIndex(outcomes, o => o is not null);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.Select(o => o?.Message).OfType<string>(), Is.EqualTo(new[] { "injected: a completion's task write" }), "only the command that failed failed");
            Assert.That(completedOnce, Is.EqualTo(4), "every other task was completed once and its instance ended once");
            Assert.That(failed >= 0 ? (await engine.Tasks.GetOpenAsync(instances[failed])).Select(t => t.Id) : [], Is.EqualTo(failed >= 0 ? new[] { tasks[failed] } : []),
                "the failed command's instance row, written before its task failed, is as it was: its task still open");
            if (sqlite)
            {
                Assert.That(failed, failingWrite == 1 ? Is.Zero : Is.GreaterThan(0), "the first written, or the first of those that joined its group, failed");

                // 1: the failed first took none, nor the first of the four after it (before round 14, 4). 2: each of the four
                // joined after the first was written and takes one; all but the failed one are committed with the first.
                Assert.That(store.SavepointsTaken - savepointsBefore, Is.EqualTo(failingWrite == 1 ? 3 : 4), "savepoints taken");
                Assert.That(store.LargestGroup, Is.EqualTo(4), "the four that committed shared one transaction");
            }
        }
    }

    [Test]
    public async Task On_SQLite_commands_reaching_the_commit_while_a_group_is_written_join_it_before_its_commit()
    {
        var store = NewSqlStore();
        if (store.Dialect.Provider != SqlProvider.Sqlite)
        {
            Assert.Ignore("a server's store writes several groups at once, each taking what waits when it starts");
        }

        var (engine, instances, tasks) = await WaitingAtOneTaskAsync(store, $"join-{Guid.NewGuid():N}"[..20], 5);

        // The first completion is held at its task's write, alone in its group, until the four others wait in the queue.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var taskWrites = 0;
        store.FailureInjection = async step =>
        {
            if (step == "tasks-closed" && Interlocked.Increment(ref taskWrites) == 1)
            {
                held.TrySetResult();
                await release.Task.WaitAsync(TimeSpan.FromSeconds(120));
            }
        };
        var first = Task.Run(() => engine.Tasks.CompleteAsync(tasks[0], null, "agent"));
        await held.Task.WaitAsync(TimeSpan.FromSeconds(120));
        var others = tasks.Skip(1).Select(task => Task.Run(() => engine.Tasks.CompleteAsync(task, null, "agent"))).ToList();
        await AllQueuedAsync(store, 4);
        var largestBefore = store.LargestGroup;
        release.TrySetResult();
        await Task.WhenAll(others.Prepend(first));
        store.FailureInjection = null;

        var completedOnce = await CompletedOnceAsync(store, instances);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(largestBefore, Is.EqualTo(1), "before the release, only the starts had committed, one at a time");
            Assert.That(store.LargestGroup, Is.EqualTo(5), "the four that arrived while the first's group was written were committed in its transaction");
            Assert.That(store.CommitsWaiting, Is.Zero);
            Assert.That(completedOnce, Is.EqualTo(5), "every task was completed once and its instance ended once");
        }
    }

    [Test]
    [NonParallelizable] // the writer's meter is the process's
    public async Task On_SQLite_the_writer_meter_counts_each_group_its_change_sets_and_its_threads_time()
    {
        var store = NewSqlStore();
        if (store.Dialect.Provider != SqlProvider.Sqlite)
        {
            Assert.Ignore("only SQLite's one writer is metered");
        }

        long clock = 0;
        WriterMeter.ThreadCpu = () => Interlocked.Add(ref clock, 1_000);
        try
        {
            var before = WriterMeter.Read();
            for (var i = 0; i < 3; i++)
            {
                var changes = new ChangeSet();
                changes.History.Add(new HistoryRecord(Guid.CreateVersion7(), DateTimeOffset.UtcNow, "instance-started", null, null, "zoé", "✓"));
                await store.CommitAsync(changes, default);
            }

            var counted = WriterMeter.Read() - before;
            using (Assert.EnterMultipleScope())
            {
                Assert.That(counted.Groups, Is.EqualTo(3), "three commits one after the other: three groups");
                Assert.That(counted.ChangeSets, Is.EqualTo(3));
                Assert.That(counted.CpuGroups, Is.EqualTo(3), "each flushed on one thread, its CPU read");
                Assert.That(counted.CpuNanoseconds, Is.GreaterThan(counted.CommitCpuNanoseconds).And.GreaterThan(0), "the COMMIT is part of the group's time");
                Assert.That(counted.Wall, Is.GreaterThanOrEqualTo(counted.CommitWall));
                Assert.That(counted.FlushersStarted, Is.InRange(1, 3), "the first commit starts a flusher; a later one may find it still running");
                Assert.That(counted.Describe(3, counted.Wall), Does.Contain("3 groups of 1.0 change sets"));
            }
        }
        finally
        {
            WriterMeter.ThreadCpu = null;
        }
    }

    // How many of the instances have their task completed once and ended once.
    private static async Task<int> CompletedOnceAsync(SqlWorkflowStore store, List<Guid> instances)
    {
        var completedOnce = 0;
        foreach (var instance in instances)
        {
            var history = await store.GetHistoryAsync(instance, default);
            completedOnce += history.Count(h => h.Kind == "task-completed") == 1 && history.Count(h => h.Kind == "instance-completed") == 1 ? 1 : 0;
        }

        return completedOnce;
    }

    // Waits (on progress, with a generous bound for a loaded machine) until this many change sets wait for a flusher.
    private static async Task AllQueuedAsync(SqlWorkflowStore store, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (store.CommitsWaiting < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.That(store.CommitsWaiting, Is.GreaterThanOrEqualTo(count), "the commands reached the commit queue");
    }

    // Instances of a process of one user task, each waiting at it: the instances and their tasks, in the order started.
    private static async Task<(WorkflowEngine Engine, List<Guid> Instances, List<Guid> Tasks)> WaitingAtOneTaskAsync(SqlWorkflowStore store, string process, int count)
    {
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process(process, $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            """));
        var instances = new List<Guid>();
        var tasks = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            instances.Add(await engine.Runtime.StartAsync(new StartInstance(process)));
            tasks.Add((await engine.Tasks.GetOpenAsync(instances[^1])).Single().Id);
        }

        return (engine, instances, tasks);
    }
}
