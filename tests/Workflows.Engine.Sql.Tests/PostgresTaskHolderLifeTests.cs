using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Task holders (migration 47) through a task's life, written by this build and by an older node, and the commit queue's second flusher, on PostgreSQL (review 20).</summary>
[NonParallelizable]
public sealed class PostgresTaskHolderLifeTests
{
    private readonly string _name = "wf_test_holders_" + Guid.NewGuid().ToString("N")[..12];
    private string _connectionString = null!;
    private WorkflowEngine _engine = null!;
    private SqlWorkflowStore _store = null!;

    private static string Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set");

    private SqlStoreOptions Options => new() { Provider = SqlProvider.PostgreSql, ConnectionString = _connectionString };

    [OneTimeSetUp]
    public async Task Create()
    {
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.ExecuteAsync($"CREATE DATABASE {_name}");
        }

        _connectionString = new NpgsqlConnectionStringBuilder(Server) { Database = _name }.ConnectionString;
        await SqlWorkflowEngine.MigrateAsync(Options);
        _store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), _connectionString);
        _engine = NewEngine(_store);
        const string signal = """<bpmn:signal id="stop" name="r20-stop"/>""";
        await _engine.Deployments.DeployAsync(Process("r20", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="a" name="a"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="=owner" candidateGroups="r20-q"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:boundaryEvent id="stopped" attachedToRef="a"><bpmn:signalEventDefinition signalRef="stop"/></bpmn:boundaryEvent>
            <bpmn:userTask id="b" name="b"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="r20-q"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            <bpmn:endEvent id="end2"/>
            {Chain("start", "a", "end")}{Chain("stopped", "b", "end2")}
            """, signal));
        await _engine.Deployments.DeployAsync(Process("r20plain", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("w", """<bpmn:extensionElements><wf:userTask candidateGroups="r20-plain"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "w", "end")}
            """));
    }

    [OneTimeTearDown]
    public async Task Drop()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Server);
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
    }

    private static WorkflowEngine NewEngine(SqlWorkflowStore store) => new(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);

    // Holder rows without an open task of that assignee, and open assigned tasks without their holder row.
    private async Task<(long Orphans, long Missing)> MismatchAsync(string process = "r20")
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        var orphans = await connection.ExecuteScalarAsync<long>("""
            SELECT COUNT(*) FROM wf_task_holders h
            WHERE NOT EXISTS (SELECT 1 FROM wf_user_tasks t WHERE t.id = h.task_id AND t.status = 0 AND t.assignee = h.assignee)
              AND EXISTS (SELECT 1 FROM wf_user_tasks t WHERE t.id = h.task_id AND t.process_id = @process)
            """, new { process });
        var missing = await connection.ExecuteScalarAsync<long>("""
            SELECT COUNT(*) FROM wf_user_tasks t
            WHERE t.process_id = @process AND t.status = 0 AND t.assignee IS NOT NULL AND NOT EXISTS (SELECT 1 FROM wf_task_holders h WHERE h.task_id = t.id AND h.assignee = t.assignee)
            """, new { process });
        return (orphans, missing);
    }

    private async Task<Guid> StartAsync(string process, string? owner = null)
    {
        var instance = await _engine.Runtime.StartAsync(new StartInstance(process) { Variables = Vars(("owner", owner)) });
        return instance;
    }

    private async Task<Guid> OpenTaskAsync(Guid instance) => (await _engine.Tasks.GetOpenAsync(instance)).Single().Id;

    [Test]
    public async Task Holders_follow_tasks_created_assigned_closed_by_a_boundary_by_a_cancel_and_moved()
    {
        var assignedAtStart = await StartAsync("r20", "alice");
        var assignedTask = await OpenTaskAsync(assignedAtStart);
        var mineAtStart = await _engine.Tasks.QueryAsync(new TaskQuery { Assignee = "alice" });
        var afterCreate = await MismatchAsync();

        var cancelled = await StartAsync("r20", "bob");
        var claimedThenCancelled = await StartAsync("r20", "zed");
        var claimedTask = await OpenTaskAsync(claimedThenCancelled);
        await _engine.Tasks.UnclaimAsync(claimedTask, "zed");
        await _engine.Tasks.ClaimAsync(claimedTask, "carol");
        await _engine.Runtime.CancelAsync(cancelled);
        await _engine.Runtime.CancelAsync(claimedThenCancelled);
        var afterCancel = await MismatchAsync();

        var moved = await StartAsync("r20", "dave");
        var movedTask = await OpenTaskAsync(moved);
        await _engine.Tasks.MoveAsync(movedTask, "r20-other", "dave");
        var afterMove = await MismatchAsync();

        // The signal interrupts every task "a" still open (alice's): b is created unassigned.
        await _engine.Runtime.BroadcastSignalAsync("r20-stop");
        var afterBoundary = await MismatchAsync();
        var aliceAfter = await _engine.Tasks.QueryAsync(new TaskQuery { Assignee = "alice" });

        await using var connection = new NpgsqlConnection(_connectionString);
        var holders = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_task_holders h JOIN wf_user_tasks t ON t.id = h.task_id WHERE t.process_id = 'r20'");
        TestContext.Out.WriteLine($"create {afterCreate}, cancel {afterCancel}, move {afterMove}, boundary {afterBoundary}, holders left {holders}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(mineAtStart.Tasks.Select(t => t.Id), Does.Contain(assignedTask), "a task created assigned is in its assignee's list");
            Assert.That(afterCreate, Is.EqualTo((0L, 0L)));
            Assert.That(afterCancel, Is.EqualTo((0L, 0L)));
            Assert.That(afterMove, Is.EqualTo((0L, 0L)));
            Assert.That(afterBoundary, Is.EqualTo((0L, 0L)));
            Assert.That(aliceAfter.Tasks, Is.Empty);
            Assert.That(holders, Is.Zero);
        }
    }

    /// <summary>
    /// What a node of the build before migration 47 writes in the window SchemaWatch leaves it (docs/operations.md: up to
    /// SchemaCheckInterval after the migration): the task's assignee alone, which the holders follow by their triggers (review 20, F2).
    /// </summary>
    [Test]
    public async Task After_an_older_node_s_unclaim_the_same_agent_claims_the_task_again()
    {
        var instance = await StartAsync("r20plain");
        var task = await OpenTaskAsync(instance);
        await _engine.Tasks.ClaimAsync(task, "erin");
        await using var connection = new NpgsqlConnection(_connectionString);
        // The old node's unclaim: the task's row alone (its UPDATE as in TaskUpdateSql), the instance's row version moved.
        await connection.ExecuteAsync("UPDATE wf_user_tasks SET assignee = NULL WHERE id = @task", new { task });
        Exception? refused = null;
        try
        {
            await _engine.Tasks.ClaimAsync(task, "erin");
        }
        catch (Exception e)
        {
            refused = e;
        }

        var stored = await connection.ExecuteScalarAsync<string?>("SELECT assignee FROM wf_user_tasks WHERE id = @task", new { task });
        TestContext.Out.WriteLine($"claim again: {refused?.GetType().Name}: {refused?.Message}; stored assignee {stored ?? "(null)"}");
        Assert.That(refused, Is.Null, "erin can claim the task it was given back");
    }

    [Test]
    public async Task An_older_node_s_claim_puts_the_task_in_its_agent_s_list_and_next_task()
    {
        var instance = await StartAsync("r20plain");
        var task = await OpenTaskAsync(instance);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.ExecuteAsync("UPDATE wf_user_tasks SET assignee = 'frank' WHERE id = @task", new { task });
        await connection.ExecuteAsync("UPDATE wf_task_queues SET claimed = 1 WHERE task_id = @task", new { task });
        var mine = await _engine.Tasks.QueryAsync(new TaskQuery { Assignee = "frank" });
        var next = await _engine.Tasks.NextAsync("frank", ["r20-plain"]);
        TestContext.Out.WriteLine($"frank's list {mine.Tasks.Count}, next {next?.Id} (held {task})");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(mine.Tasks.Select(t => t.Id), Does.Contain(task), "frank's list");
            Assert.That(next?.Id, Is.EqualTo(task), "next-task hands frank back what he holds");
        }
    }

    [Test]
    public async Task Two_nodes_of_agents_take_every_task_once_and_leave_no_holder()
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

        var stores = new[] { new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), _connectionString), new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), _connectionString) };
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
        var (orphans, missing) = await MismatchAsync("r20agents");
        await using var connection = new NpgsqlConnection(_connectionString);
        var open = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_user_tasks WHERE status = 0 AND process_id = 'r20agents'");
        TestContext.Out.WriteLine($"completed {completed.Count} ({completed.Distinct().Count()} distinct), open {open}, errors {errors.Count}: {string.Join(" | ", errors.Take(5))}; orphans {orphans}, missing {missing}, wrong lists {wrongList}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(completed.Distinct().Count(), Is.EqualTo(completed.Count), "each task completed once");
            Assert.That(open, Is.Zero, "every task taken");
            Assert.That((orphans, missing), Is.EqualTo((0L, 0L)));
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
        await Task.Delay(1000); // the claim's group waits on the row lock
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
            Assert.That(thirdDone, Is.True, "a caller that cancels is released");
        }
    }

    private async Task StartWithTokenAsync(CancellationToken ct) =>
        await _engine.Runtime.StartAsync(new StartInstance("r20plain"), ct);
}

/// <summary>A command's history encoded as UTF-8 on its caller's thread (SQLite) reads back as written.</summary>
public sealed class SqliteHistoryTextTests
{
    [Test]
    public async Task Non_ascii_and_astral_texts_in_history_read_back_the_same_and_are_stored_as_text()
    {
        var directory = Path.Combine(Path.GetTempPath(), "wf-history-text-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var options = new SqlStoreOptions { Provider = SqlProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(directory, "h.db")}" };
        await SqlWorkflowEngine.MigrateAsync(options);
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), options.ConnectionString);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process("h", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("w", """<bpmn:extensionElements><wf:userTask candidateGroups="h-q"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "w", "end")}
            """));
        const string user = "élodie 😀";
        const string other = "zoé \u2028 \"q\" \\ 𝄞 ✓";
        var instance = await engine.Runtime.StartAsync(new StartInstance("h"));
        var task = (await engine.Tasks.GetOpenAsync(instance)).Single().Id;
        // Commands at once, so that SQLite's writer takes several in a group.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => engine.Runtime.StartAsync(new StartInstance("h"))));
        await engine.Tasks.ClaimAsync(task, user);
        await engine.Tasks.DelegateAsync(task, user, other);
        var history = await engine.Queries.GetHistoryAsync(instance);
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(options.ConnectionString);
        await connection.OpenAsync();
        var types = (await connection.QueryAsync<string>("SELECT DISTINCT typeof(events) FROM wf_history_commands")).ToList();
        var invalid = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_history_commands WHERE NOT json_valid(events)");
        TestContext.Out.WriteLine(string.Join("\n", history.Select(h => $"{h.Kind} {h.Actor} {h.Detail}")));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(types, Is.EqualTo(new[] { "text" }));
            Assert.That(invalid, Is.Zero);
            Assert.That(history.Select(h => h.Actor), Does.Contain(user));
            Assert.That(history.Select(h => h.Detail), Does.Contain(other));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
