using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Agents of two nodes on one PostgreSQL database, and the commit queue's second flusher behind a group held by a row lock (review 20).</summary>
[NonParallelizable]
public sealed class PostgresAgentsAndGroupsTests
{
    private readonly string _name = "wf_test_agents_" + Guid.NewGuid().ToString("N")[..12];
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
