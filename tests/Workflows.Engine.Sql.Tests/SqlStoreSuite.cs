using Dapper;
using NUnit.Framework;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The store suite on a SQL database, plus what only a database has: versioned migrations, and a commit
/// that leaves nothing behind when it fails half-way. Subclasses say how to create and drop the database.
/// </summary>
public abstract partial class SqlStoreSuite : StoreSuite
{
    private SqlStoreOptions? _store;

    protected SqlStoreOptions Store => _store ?? throw new InvalidOperationException("the database was not created");

    /// <summary>Creates an empty database for this fixture and returns where it is.</summary>
    protected abstract Task<SqlStoreOptions> CreateDatabaseAsync();

    protected abstract Task DropDatabaseAsync();

    protected override async Task CreateStoreAsync()
    {
        _store = await CreateDatabaseAsync();
        await SqlWorkflowEngine.MigrateAsync(_store);
    }

    protected override async Task DropStoreAsync()
    {
        if (_store is not null)
        {
            await DropDatabaseAsync();
        }
    }

    private protected override IWorkflowStore NewStore() => NewSqlStore();

    private SqlWorkflowStore NewSqlStore() => new(SqlDialect.For(Store.Provider), Store.ConnectionString);

    [Test]
    public async Task Migrations_are_recorded_and_applying_them_again_changes_nothing()
    {
        var again = await SqlWorkflowEngine.MigrateAsync(Store);

        await using var connection = await NewSqlStore().OpenAsync(default);
        var versions = (await connection.QueryAsync<int>("SELECT version FROM wf_schema_version ORDER BY version")).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.Zero);
            Assert.That(versions, Is.EqualTo(SqlMigrator.Versions));
            Assert.That(versions[^1], Is.EqualTo(SqlMigrator.LatestVersion));
        }
    }

    [Test]
    public async Task A_migration_numbered_below_the_databases_highest_is_applied_when_it_arrives()
    {
        // Numbers are reserved per piece of work: a database may meet version 7 before 6 is merged.
        await using var connection = await NewSqlStore().OpenAsync(default);
        await connection.ExecuteAsync("DROP TABLE wf_batch_items");
        await connection.ExecuteAsync("DROP TABLE wf_batches");
        await connection.ExecuteAsync("DELETE FROM wf_schema_version WHERE version = 7");

        var applied = await SqlWorkflowEngine.MigrateAsync(Store);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(applied, Is.EqualTo(1));
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_batches"), Is.Zero);
        }
    }

    [Test]
    public async Task A_database_newer_than_the_code_refuses_to_start_with_a_clear_message()
    {
        await using var connection = await NewSqlStore().OpenAsync(default);
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


    private static readonly string[] s_allTables =
    [
        "wf_definitions", "wf_instances", "wf_user_tasks", "wf_jobs", "wf_timers", "wf_message_subscriptions", "wf_signal_subscriptions",
        "wf_buffered_messages", "wf_message_correlations", "wf_message_start_locks", "wf_incidents", "wf_history", "wf_outbox",
    ];

    // Everything a commit can change: the rows of every table, and every instance's row version and status.
    private async Task<string> FingerprintAsync()
    {
        await using var connection = await NewSqlStore().OpenAsync(default);
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
        var store = NewSqlStore();
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

}

public sealed class SqliteStoreTests : SqlStoreSuite
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

    [Test]
    public async Task A_command_run_again_on_sqlite_prepares_no_statement_again()
    {
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), Store.ConnectionString);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var process = $"prepared-{Guid.NewGuid():N}"[..20];
        await engine.Deployments.DeployAsync(Process(process, $"""<bpmn:startEvent id="s"/>{UserTask("a")}{UserTask("b")}<bpmn:endEvent id="e"/>{Chain("s", "a", "b", "e")}"""));

        async Task RunAsync()
        {
            var id = await engine.Runtime.StartAsync(new StartInstance(process));
            for (var tasks = await engine.Tasks.GetOpenAsync(id); tasks.Count > 0; tasks = await engine.Tasks.GetOpenAsync(id))
            {
                await engine.Tasks.ClaimAsync(tasks[0].Id, "ann");
                await engine.Tasks.CompleteAsync(tasks[0].Id);
            }
        }

        await RunAsync();
        await RunAsync();
        var (prepared, reused) = (store.Sessions!.Prepared, store.Sessions.Reused);
        for (var i = 0; i < 3; i++)
        {
            await RunAsync();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(store.Sessions.Prepared, Is.EqualTo(prepared), "every statement of a start, a claim, a completion and their reads was prepared by the first runs");
            Assert.That(store.Sessions.Reused - reused, Is.GreaterThan(3 * 20), "each run's statements found prepared: its reads and its commits' writes");
        }
    }

    [Test]
    public async Task A_start_keeping_its_business_key_unique_reads_through_prepared_statements_and_opens_no_connection()
    {
        // Its two reads, the key's lock and the active instances with the key, were prepared anew on every start: one on a
        // connection of its own, one left to Dapper for its hand-built parameters (issue 19: two preparations per HTTP start).
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), Store.ConnectionString);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var process = $"unique-{Guid.NewGuid():N}"[..20];
        await engine.Deployments.DeployAsync(Process(process, $"""<bpmn:startEvent id="s"/>{UserTask("a")}<bpmn:endEvent id="e"/>{Chain("s", "a", "e")}"""));
        Task<Guid> StartAsync(int n) => engine.Runtime.StartAsync(new StartInstance(process) { BusinessKey = $"{process}-{n}", UniqueBusinessKey = true });

        await StartAsync(1);
        await StartAsync(2);
        var sessions = store.Sessions!;
        var (prepared, leftToDapper, opened) = (sessions.Prepared, sessions.LeftToDapper, store.Opened);
        for (var n = 3; n < 6; n++)
        {
            await StartAsync(n);
        }

        var refused = Assert.ThrowsAsync<BusinessKeyInUseException>(() => StartAsync(4));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(sessions.Prepared, Is.EqualTo(prepared), "every statement of the starts was prepared by the first two");
            Assert.That(sessions.LeftToDapper, Is.EqualTo(leftToDapper), "no statement was left to Dapper");
            Assert.That(store.Opened, Is.EqualTo(opened), "no read opened a connection of its own");
            Assert.That(refused!.BusinessKey, Is.EqualTo($"{process}-4"), "the key of an active instance is still refused");
        }
    }
}

public sealed class PostgreSqlStoreTests : SqlStoreSuite
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
public sealed class SqlServerStoreTests : SqlStoreSuite
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
