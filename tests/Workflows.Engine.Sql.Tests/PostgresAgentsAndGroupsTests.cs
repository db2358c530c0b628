using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Agents of two nodes on one PostgreSQL database, and the commit queue's second flusher behind a group held by a row lock (review 20).</summary>
[NonParallelizable]
public sealed class PostgresAgentsAndGroupsTests : PostgresFixture
{
    private string _connectionString = null!;
    private WorkflowEngine _engine = null!;

    [OneTimeSetUp]
    public async Task Deploy()
    {
        _connectionString = Store.ConnectionString;
        _engine = NewEngine(NewStore());
        await _engine.Deployments.DeployAsync(Process("r20plain", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("w", """<bpmn:extensionElements><wf:userTask candidateGroups="r20-plain"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "w", "end")}
            """));
    }

    private SqlWorkflowStore NewStore() => new(SqlDialect.For(SqlProvider.PostgreSql), _connectionString);

    private static WorkflowEngine NewEngine(SqlWorkflowStore store) => new(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);

    private Task<Guid> StartAsync(string process) => _engine.Runtime.StartAsync(new StartInstance(process));

    private async Task<Guid> OpenTaskAsync(Guid instance) => (await _engine.Tasks.GetOpenAsync(instance)).Single().Id;

    [Test]
    public async Task Two_nodes_of_agents_take_every_task_once_while_a_supervisor_lists_each_agent_s_tasks()
    {
        const int tasks = 200;
        await _engine.Deployments.DeployAsync(Process("r20agents", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("w", """<bpmn:extensionElements><wf:userTask candidateGroups="r20-agents"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "w", "end")}
            """));
        var instances = new List<Guid>();
        for (var i = 0; i < tasks; i++)
        {
            instances.Add(await StartAsync("r20agents"));
        }

        var stores = new[] { NewStore(), NewStore() };
        var engines = stores.Select(NewEngine).ToArray();
        var completed = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        var wrongList = 0;
        using var stop = new CancellationTokenSource();
        var supervisor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (var a = 0; a < 16; a++)
                {
                    var page = await _engine.Tasks.QueryAsync(new TaskQuery { Assignee = $"agent-{a}" });
                    if (page.Tasks.Any(t => t.Assignee != $"agent-{a}"))
                    {
                        Interlocked.Increment(ref wrongList);
                    }
                }
            }
        });
        var agents = Enumerable.Range(0, 16).Select(a => Task.Run(async () =>
        {
            var engine = engines[a % 2];
            var user = $"agent-{a}";
            for (var round = 0; round < 1000; round++)
            {
                UserTaskInfo? next;
                try
                {
                    next = await engine.Tasks.NextAsync(user, ["r20-agents"]);
                }
                catch (WorkflowConflictException e)
                {
                    errors.Add("next: " + e.Message);
                    continue;
                }

                if (next is null)
                {
                    return;
                }

                try
                {
                    await engine.Tasks.CompleteAsync(next.Id, null, user);
                    completed.Add(next.Id);
                }
                catch (Exception e)
                {
                    errors.Add($"complete {next.Id} by {user}: {e.GetType().Name} {e.Message}");
                }
            }
        })).ToArray();
        await Task.WhenAll(agents);
        await stop.CancelAsync();
        await supervisor;
        await using var connection = new NpgsqlConnection(_connectionString);
        var open = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_user_tasks WHERE status = 0 AND process_id = 'r20agents'");
        TestContext.Out.WriteLine($"completed {completed.Count} ({completed.Distinct().Count()} distinct), open {open}, errors {errors.Count}: {string.Join(" | ", errors.Take(5))}, wrong lists {wrongList}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(completed.Distinct().Count(), Is.EqualTo(completed.Count), "each task completed once");
            Assert.That(open, Is.Zero, "every task taken");
            Assert.That(wrongList, Is.Zero);
        }
    }

    /// <summary>
    /// A group held by a row lock (another node's or an operator's transaction on one instance): though the second flusher
    /// starts only once three change sets wait, a lone command of another instance does not wait for that group (review 20, F3).
    /// </summary>
    [Test]
    public async Task A_lone_command_of_another_instance_does_not_wait_behind_a_group_held_by_a_row_lock()
    {
        var locked = await StartAsync("r20plain");
        var free = await StartAsync("r20plain");
        var lockedTask = await OpenTaskAsync(locked);
        var freeTask = await OpenTaskAsync(free);
        await using var holder = new NpgsqlConnection(_connectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("SELECT 1 FROM wf_instances WHERE id = @locked FOR UPDATE", new { locked }, transaction);
        var blocked = _engine.Tasks.ClaimAsync(lockedTask, "gina");
        await UntilALockIsAwaitedAsync(); // the claim's group waits on the row lock
        var watch = Stopwatch.StartNew();
        var lone = _engine.Tasks.ClaimAsync(freeTask, "hank");
        var loneDone = await Task.WhenAny(lone, Task.Delay(5000)) == lone;
        var waited = watch.Elapsed;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var cancelWatch = Stopwatch.StartNew();
        var third = StartWithTokenAsync(cancel.Token);
        var thirdDone = await Task.WhenAny(third, Task.Delay(4000)) == third;
        var thirdWaited = cancelWatch.Elapsed;
        await transaction.RollbackAsync();
        await Task.WhenAll(blocked, lone);
        try
        {
            await third;
        }
        catch (OperationCanceledException)
        {
        }

        TestContext.Out.WriteLine($"lone claim done while the lock was held: {loneDone} after {waited.TotalMilliseconds:N0} ms; a start cancelled after 1 s returned while held: {thirdDone} after {thirdWaited.TotalMilliseconds:N0} ms");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(loneDone, Is.True, "an unrelated instance's claim is not held by another instance's row lock");
            Assert.That(thirdDone, Is.True, "a start of another instance, its token cancelled after 1 s, is not held either");
        }
    }

    private async Task StartWithTokenAsync(CancellationToken ct) =>
        await _engine.Runtime.StartAsync(new StartInstance("r20plain"), ct);

    // Until a backend of this database waits for a lock (the held group), bounded.
    private async Task UntilALockIsAwaitedAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the claim reached the locked row");
            await Task.Delay(10);
        }
    }
}
