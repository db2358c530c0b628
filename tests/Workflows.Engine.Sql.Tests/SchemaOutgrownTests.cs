using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A node that was running when a newer build migrated its database: once it reads the schema's version (before a write,
/// at most once per <see cref="SqlStoreOptions.SchemaCheckInterval"/>, and at every readiness probe) it refuses every
/// command with <see cref="SchemaOutgrownException"/> and writes nothing, until it is restarted with the newer build.
/// </summary>
public abstract class SchemaOutgrownTests
{
    private const string ProcessId = "outgrown";

    private protected abstract SqlStoreOptions Store { get; }

    // What a build one migration ahead of this one does to the database: its scripts and its version row.
    private async Task MigrateAsNewerBuildAsync()
    {
        var newer = SqlMigrator.Migrations.Append((SqlMigrator.LatestVersion + 1, "newer_build", "CREATE TABLE wf_newer_build_rows (id INTEGER NOT NULL)")).ToList();
        await SqlMigrator.MigrateAsync(SqlDialect.For(Store.Provider), Store.ConnectionString, TimeSpan.FromSeconds(10), newer, default);
    }

    private async Task<WorkflowEngine> RunningNodeAsync(TimeSpan schemaCheckInterval)
    {
        var store = Store;
        store.SchemaCheckInterval = schemaCheckInterval;
        var engine = await SqlWorkflowEngine.CreateAsync(store);
        await engine.Deployments.DeployAsync(Process(ProcessId, $"""<bpmn:startEvent id="s"/>{UserTask("t")}{Chain("s", "t")}"""));
        return engine;
    }

    private protected abstract Task<long> InstancesAsync();

    [Test]
    public async Task A_node_whose_database_a_newer_build_migrated_refuses_its_next_command_and_writes_nothing()
    {
        var engine = await RunningNodeAsync(schemaCheckInterval: TimeSpan.Zero);
        await engine.Runtime.StartAsync(new StartInstance(ProcessId));
        var before = await InstancesAsync();

        await MigrateAsNewerBuildAsync();
        var refused = Assert.ThrowsAsync<SchemaOutgrownException>(async () => await engine.Runtime.StartAsync(new StartInstance(ProcessId)));
        var probe = Assert.ThrowsAsync<SchemaOutgrownException>(async () => await engine.Worker.ProbeStoreWriteAsync());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.EqualTo(1), "the node took commands while the schema was its own");
            Assert.That(refused!.DatabaseVersion, Is.EqualTo(SqlMigrator.LatestVersion + 1));
            Assert.That(refused.KnownVersion, Is.EqualTo(SqlMigrator.LatestVersion));
            Assert.That(refused.Message, Does.Contain("restarted with the newer build"));
            Assert.That(SqlStoreFaults.IsUnavailable(refused), Is.True, "a fault of the store, not a bug: 503 over HTTP, never 500");
            Assert.That(probe, Is.Not.Null, "the readiness probe fails too");
            Assert.That(await InstancesAsync(), Is.EqualTo(before), "the refused start wrote nothing");
        }
    }

    [Test]
    public async Task The_readiness_probe_reads_the_version_at_once_and_from_then_on_every_command_is_refused()
    {
        // The default interval: a write right after the migration would not read the version yet, the probe does.
        var engine = await RunningNodeAsync(SqlStoreOptions.DefaultSchemaCheckInterval);
        await engine.Runtime.StartAsync(new StartInstance(ProcessId));
        await engine.Worker.ProbeStoreWriteAsync();
        var before = await InstancesAsync();

        await MigrateAsNewerBuildAsync();
        var probe = Assert.ThrowsAsync<SchemaOutgrownException>(async () => await engine.Worker.ProbeStoreWriteAsync());
        var refused = Assert.ThrowsAsync<SchemaOutgrownException>(async () => await engine.Runtime.StartAsync(new StartInstance(ProcessId)));
        var timers = Assert.ThrowsAsync<SchemaOutgrownException>(async () => await engine.Worker.FireDueTimersAsync());
        var history = Assert.ThrowsAsync<SchemaOutgrownException>(async () => await engine.Worker.DeleteHistoryAsync(TimeSpan.Zero));
        var evaluations = Assert.ThrowsAsync<SchemaOutgrownException>(async () => await engine.Worker.DeleteDecisionEvaluationsAsync(TimeSpan.Zero));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(probe!.DatabaseVersion, Is.EqualTo(SqlMigrator.LatestVersion + 1));
            Assert.That(refused, Is.Not.Null, "a command after the probe noticed is refused, whatever the interval");
            Assert.That(timers, Is.Not.Null, "the worker's housekeeping writes nothing either");
            Assert.That(history, Is.Not.Null, "nor deletes ended instances' history, in transactions of its own");
            Assert.That(evaluations, Is.Not.Null, "nor old decision evaluations");
            Assert.That(await InstancesAsync(), Is.EqualTo(before));
        }
    }

    [Test]
    public async Task A_node_on_the_schema_it_knows_reads_the_version_and_goes_on()
    {
        var engine = await RunningNodeAsync(schemaCheckInterval: TimeSpan.Zero);

        await engine.Worker.ProbeStoreWriteAsync();
        await engine.Runtime.StartAsync(new StartInstance(ProcessId));
        await engine.Runtime.StartAsync(new StartInstance(ProcessId));

        Assert.That(await InstancesAsync(), Is.EqualTo(2));
    }
}

/// <summary><see cref="SchemaOutgrownTests"/> on a SQLite file of each test's own.</summary>
public sealed class SqliteSchemaOutgrownTests : SchemaOutgrownTests
{
    private string? _directory;

    private protected override SqlStoreOptions Store => new() { Provider = SqlProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(_directory!, "outgrown.db")}" };

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("workflows-outgrown-").FullName;

    [TearDown]
    public void DropDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
    }

    private protected override async Task<long> InstancesAsync()
    {
        await using var connection = new SqliteConnection(Store.ConnectionString + ";Pooling=False");
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_instances");
    }
}

/// <summary><see cref="SchemaOutgrownTests"/> on a fresh PostgreSQL database for each test.</summary>
[NonParallelizable]
public sealed class PostgresSchemaOutgrownTests : SchemaOutgrownTests
{
    private PostgresTestDatabase _database = null!;

    private protected override SqlStoreOptions Store => _database.Store;

    [SetUp]
    public async Task CreateDatabase()
    {
        _database = new PostgresTestDatabase();
        await _database.CreateAsync();
    }

    [TearDown]
    public Task DropDatabase() => _database.DropAsync();

    private protected override async Task<long> InstancesAsync()
    {
        await using var connection = new NpgsqlConnection(Store.ConnectionString);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_instances");
    }
}
