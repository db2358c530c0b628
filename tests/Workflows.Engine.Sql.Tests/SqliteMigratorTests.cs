using Dapper;
using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The SQLite migration's own connection: a migration's index build sorts a whole table, and its temporaries go to a
/// file, while a command's connection keeps them in memory (the group commit's savepoints, docs/schema.md).
/// </summary>
public sealed class SqliteMigratorTests
{
    // PRAGMA temp_store reads 1 for FILE and 2 for MEMORY.
    private const long File = 1;
    private const long Memory = 2;

    private string? _directory;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("workflows-migrator-").FullName;

    [TearDown]
    public void DropDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
    }

    [Test]
    public async Task The_migrations_connection_keeps_temporaries_in_a_file_and_a_commands_connection_in_memory()
    {
        var store = new SqlStoreOptions { Provider = SqlProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(_directory!, "migrated.db")}" };
        var dialect = SqlDialect.For(store.Provider);
        await SqlWorkflowEngine.MigrateAsync(store);

        long migrations;
        await using (var migration = await SqlMigrator.OpenAsync(dialect, store.ConnectionString + ";Pooling=False", TimeSpan.FromSeconds(5), default))
        {
            migrations = await migration.ExecuteScalarAsync<long>("PRAGMA temp_store");
        }

        await using var command = await new SqlWorkflowStore(dialect, store.ConnectionString).OpenAsync(default);
        var commands = await command.ExecuteScalarAsync<long>("PRAGMA temp_store");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(migrations, Is.EqualTo(File), "a migration's sort spills to a file, not to RAM");
            Assert.That(commands, Is.EqualTo(Memory), "a command's savepoints stay in memory, the migration's setting left on no pooled connection");
        }
    }
}
