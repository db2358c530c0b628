using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// SQLite's log is copied back into the database file by a checkpoint of the store's own, off the writer's path
/// (<see cref="SqliteCheckpointer"/>): the file alone, without its log, holds what was committed.
/// </summary>
public sealed class SqliteCheckpointerTests
{
    private string? _directory;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("workflows-checkpoints-").FullName;

    [TearDown]
    public void DeleteDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Started_instances_reach_the_database_file_by_the_store_s_own_checkpoint(bool inBackground)
    {
        var file = Path.Combine(_directory!, "checkpoints.db");
        var options = new SqlStoreOptions { ConnectionString = $"Data Source={file}", CheckpointsInBackground = inBackground };
        await SqlWorkflowEngine.MigrateAsync(options);
        var store = new SqlWorkflowStore(options);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process("checkpoints", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            """));

        // Far fewer pages than the log's own limit (wal_autocheckpoint): left to SQLite, nothing would be copied yet.
        const int Starts = (2 * SqliteCheckpointer.WritesPerCheckpoint) + 32; // two checkpoints, and no third one running while the file is copied
        for (var i = 0; i < Starts; i++)
        {
            await engine.Runtime.StartAsync(new StartInstance("checkpoints"));
        }

        Assert.That(store.Checkpointer is not null, Is.EqualTo(inBackground));
        if (store.Checkpointer is { } checkpointer)
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (checkpointer.Checkpoints < 2 && waited.Elapsed < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(10);
            }
        }

        // The database file without its log: only what a checkpoint copied.
        var copy = Path.Combine(_directory!, "file-alone.db");
        File.Copy(file, copy);
        await using var connection = new SqliteConnection($"Data Source={copy};Pooling=False");
        var instances = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_instances");
        Assert.That(instances, inBackground ? Is.GreaterThanOrEqualTo(SqliteCheckpointer.WritesPerCheckpoint) : Is.Zero);
    }
}
