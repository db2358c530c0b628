using Dapper;
using Npgsql;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>A fresh PostgreSQL database of the engine's schema for one fixture, dropped after it.</summary>
internal sealed class PostgresTestDatabase
{
    private readonly string _name = "wf_test_" + Guid.NewGuid().ToString("N")[..12];

    private static string Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");

    /// <summary>A store on the database (a new options object each time: a store sizes its pool on it).</summary>
    public SqlStoreOptions Store => new() { Provider = SqlProvider.PostgreSql, ConnectionString = new NpgsqlConnectionStringBuilder(Server) { Database = _name }.ConnectionString };

    public async Task CreateAsync()
    {
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.ExecuteAsync($"CREATE DATABASE {_name}");
        }

        await SqlWorkflowEngine.MigrateAsync(Store);
    }

    public async Task DropAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Server);
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
    }
}

/// <summary>A fixture on a fresh PostgreSQL database of its own (<see cref="PostgresTestDatabase"/>).</summary>
public abstract class PostgresFixture
{
    private readonly PostgresTestDatabase _database = new();

    private protected SqlStoreOptions Store => _database.Store;

    [OneTimeSetUp]
    public Task CreateDatabase() => _database.CreateAsync();

    [OneTimeTearDown]
    public Task DropDatabase() => _database.DropAsync();
}
