using Dapper;
using NUnit.Framework;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The store suite: one set of tests, run against every dialect on a real database (a fresh one per
/// fixture). Subclasses say how to create and drop that database.
/// </summary>
public abstract partial class StoreSuite
{
    private SqlStoreOptions? _store;

    protected SqlStoreOptions Store => _store ?? throw new InvalidOperationException("the database was not created");

    /// <summary>Creates an empty database for this fixture and returns where it is.</summary>
    protected abstract Task<SqlStoreOptions> CreateDatabaseAsync();

    protected abstract Task DropDatabaseAsync();

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _store = await CreateDatabaseAsync();
        await SqlWorkflowEngine.MigrateAsync(_store);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        if (_store is not null)
        {
            await DropDatabaseAsync();
        }
    }

    private Task<ProcessTestHarness> HarnessAsync(Action<WorkflowEngineOptions>? configure = null) =>
        ProcessTestHarness.CreateAsync((options, clock) => SqlWorkflowEngine.CreateAsync(Store, options, clock), configure: configure);

    private SqlWorkflowStore NewStore() => new(SqlDialect.For(Store.Provider), Store.ConnectionString);


    private static readonly string s_journey = Process("journey", $"""
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
    public async Task Migrations_are_recorded_and_applying_them_again_changes_nothing()
    {
        var again = await SqlWorkflowEngine.MigrateAsync(Store);

        await using var connection = await NewStore().OpenAsync(default);
        var versions = (await connection.QueryAsync<int>("SELECT version FROM wf_schema_version ORDER BY version")).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.Zero);
            Assert.That(versions, Is.EqualTo(Enumerable.Range(1, SqlMigrator.LatestVersion)));
        }
    }

    [Test]
    public async Task A_database_newer_than_the_code_refuses_to_start_with_a_clear_message()
    {
        await using var connection = await NewStore().OpenAsync(default);
        await connection.ExecuteAsync("INSERT INTO wf_schema_version (version, description, applied_at) VALUES (999, 'from the future', 0)");
        try
        {
            Assert.That(async () => await SqlWorkflowEngine.CreateAsync(Store),
                Throws.TypeOf<SchemaTooNewException>().With.Message.Contains("schema version 999"));
        }
        finally
        {
            await connection.ExecuteAsync("DELETE FROM wf_schema_version WHERE version = 999");
        }
    }

    [Test]
    public async Task A_journey_runs_through_tasks_jobs_timers_messages_and_signals_on_the_database()
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
    public async Task Buffered_messages_incidents_and_call_activities_work_on_the_database()
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
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "task-completed"), Is.EqualTo(1));
        }
    }

    private static readonly string[] s_allTables =
    [
        "wf_definitions", "wf_instances", "wf_user_tasks", "wf_jobs", "wf_timers", "wf_message_subscriptions", "wf_signal_subscriptions",
        "wf_buffered_messages", "wf_message_correlations", "wf_incidents", "wf_history", "wf_outbox",
    ];

    // Everything a commit can change: the rows of every table, and every instance's row version and status.
    private async Task<string> FingerprintAsync()
    {
        await using var connection = await NewStore().OpenAsync(default);
        var parts = new List<string>();
        foreach (var table in s_allTables)
        {
            parts.Add($"{table}={await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}")}");
        }

        parts.Add("versions=" + await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(row_version * 10 + status), 0) FROM wf_instances"));
        parts.Add("closed=" + await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_user_tasks WHERE status <> 0"));
        parts.Add("resolved=" + await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_incidents WHERE resolved_at IS NOT NULL"));
        return string.Join(", ", parts);
    }

    /// <summary>
    /// Runs <paramref name="command"/> once per kind of write it makes, failing right before that write:
    /// each time the database must be exactly as before; then the command runs for real.
    /// </summary>
    private async Task AssertAtomicAsync(SqlWorkflowStore store, Func<Task> command)
    {
        var steps = new List<string>();
        var before = await FingerprintAsync();
        while (true)
        {
            // Let the writes already tried pass, and fail at the next one; when no write is left to fail,
            // the command has run for real.
            var skip = steps.Count;
            var seen = 0;
            store.FailureInjection = step =>
            {
                if (seen++ < skip)
                {
                    return Task.CompletedTask;
                }

                steps.Add(step);
                throw new InvalidOperationException($"injected failure at {step}");
            };
            try
            {
                await command();
                break;
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("injected", StringComparison.Ordinal))
            {
                Assert.That(await FingerprintAsync(), Is.EqualTo(before), $"a failure at '{steps[^1]}' left the database changed");
            }
        }

        store.FailureInjection = null;
        TestContext.Out.WriteLine($"failed at each of: {string.Join(", ", steps)}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(steps, Is.Not.Empty, "the command wrote something");
            Assert.That(await FingerprintAsync(), Is.Not.EqualTo(before), "the command's own run wrote it");
        }
    }

    [Test]
    public async Task A_failure_before_any_write_of_a_command_leaves_the_database_as_it_was()
    {
        var store = NewStore();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(ProcessTestHarness.DefaultStart);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), clock, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var sender = Process("atomic-sender", $"""
            <bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:sendTask id="notify" messageRef="m"/>{ServiceTask("fails", "atomic-job")}<bpmn:endEvent id="e"/>
            {Chain("s", "reply", "notify", "fails", "e")}
            """, Message("m", "atomic-reply", "=caseId"));
        var starter = Process("atomic-start", $"""<bpmn:startEvent id="ms"><bpmn:messageEventDefinition messageRef="m2"/></bpmn:startEvent>{UserTask("t")}{Chain("ms", "t")}""",
            """<bpmn:message id="m2" name="atomic-start"/>""");

        await engine.Deployments.DeployAsync(s_journey);
        await AssertAtomicAsync(store, () => engine.Deployments.DeployAsync(sender));
        await AssertAtomicAsync(store, () => engine.Deployments.DeployAsync(starter));
        Guid journey = default;
        await AssertAtomicAsync(store, async () => journey = await engine.Runtime.StartAsync(new StartInstance("journey") { Variables = Vars(("caseId", "ATOMIC")) }));
        Guid id = default;
        await AssertAtomicAsync(store, async () => id = await engine.Runtime.StartAsync(new StartInstance("atomic-sender") { Variables = Vars(("caseId", "A-1")) }));
        await AssertAtomicAsync(store, () => engine.Runtime.CorrelateMessageAsync(new PublishMessage("atomic-reply", "A-1") { TimeToLive = TimeSpan.FromHours(1), MessageId = "atomic-1" }));
        await AssertAtomicAsync(store, () => engine.Runtime.CorrelateMessageAsync(new PublishMessage("atomic-start", "S-1")));
        var job = (await engine.Jobs.GetWaitingAsync("atomic-job")).Single();
        await AssertAtomicAsync(store, () => engine.Jobs.ThrowErrorAsync(job.Id, "NOBODY_CATCHES"));
        var incident = (await engine.Queries.GetIncidentsAsync(id)).Single();
        await AssertAtomicAsync(store, () => engine.Runtime.ResolveIncidentAsync(incident.Id));
        await AssertAtomicAsync(store, () => engine.Runtime.CancelAsync(id));
        var register = (await engine.Tasks.GetOpenAsync(journey)).Single(t => t.ElementId == "register");
        await AssertAtomicAsync(store, () => engine.Tasks.ClaimAsync(register.Id, "ann"));
        await AssertAtomicAsync(store, () => engine.Runtime.CancelAsync(journey));
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

        var a = await store.ClaimDueTimersAsync(now, 100, "node-a", now.AddMinutes(1), default);
        var b = await store.ClaimDueTimersAsync(now, 100, "node-b", now.AddMinutes(1), default);
        var later = await store.ClaimDueTimersAsync(now.AddMinutes(2), 100, "node-b", now.AddMinutes(3), default);

        var mine = a.Where(t => t.InstanceId == instance.Id).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(mine, Has.Count.EqualTo(1));
            Assert.That(b.Where(t => t.InstanceId == instance.Id), Is.Empty);
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
        var other = await NewStore().ClaimDueJobsAsync(["db-async"], now, 10, "node-x", now.AddSeconds(30), default);
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

public sealed class SqliteStoreTests : StoreSuite
{
    private string? _directory;

    protected override Task<SqlStoreOptions> CreateDatabaseAsync()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-sqlite-").FullName;
        return Task.FromResult(new SqlStoreOptions { Provider = SqlProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(_directory, "workflows.db")}" });
    }

    protected override Task DropDatabaseAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PostgreSqlStoreTests : StoreSuite
{
    private readonly string _database = "wf_test_" + Guid.NewGuid().ToString("N")[..12];

    private static string Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");

    protected override async Task<SqlStoreOptions> CreateDatabaseAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(Server);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"CREATE DATABASE {_database}");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(Server) { Database = _database };
        return new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = builder.ConnectionString };
    }

    protected override async Task DropDatabaseAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var connection = new Npgsql.NpgsqlConnection(Server);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }
}

/// <summary>Runs whenever WORKFLOWS_TEST_SQLSERVER holds a connection string; SQL Server cannot be installed on these machines.</summary>
public sealed class SqlServerStoreTests : StoreSuite
{
    private readonly string _database = "wf_test_" + Guid.NewGuid().ToString("N")[..12];

    private static string? Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_SQLSERVER");

    protected override async Task<SqlStoreOptions> CreateDatabaseAsync()
    {
        if (string.IsNullOrEmpty(Server))
        {
            Assert.Ignore("SQL Server dialect not run: set WORKFLOWS_TEST_SQLSERVER to a connection string (SQL Server cannot be installed here)");
        }

        await using var connection = new Microsoft.Data.SqlClient.SqlConnection(Server);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"CREATE DATABASE {_database}");
        var builder = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(Server) { InitialCatalog = _database };
        return new SqlStoreOptions { Provider = SqlProvider.SqlServer, ConnectionString = builder.ConnectionString };
    }

    protected override async Task DropDatabaseAsync()
    {
        Microsoft.Data.SqlClient.SqlConnection.ClearAllPools();
        await using var connection = new Microsoft.Data.SqlClient.SqlConnection(Server);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"ALTER DATABASE {_database} SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE {_database}");
    }
}
