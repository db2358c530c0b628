using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Workflows.Engine.MassTransit.Tests;

namespace Workflows.Host.Tests;

/// <summary>The store and bus a host test runs on: the embedded default, or the product as deployed beyond one machine.</summary>
public enum Backend
{
    /// <summary>A SQLite file of the fixture's own and the in-memory bus.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database and a RabbitMQ virtual host of the fixture's own (the ones the test script provisions).</summary>
    PostgreSqlAndRabbitMq,
}

/// <summary>
/// A <see cref="Backend"/> provisioned for one fixture, as the host's settings (environment-variable form) that name it,
/// and removed again (the database dropped, the virtual host deleted) when disposed.
/// </summary>
/// <remarks>
/// PostgreSQL and RabbitMQ come from WORKFLOWS_TEST_POSTGRES and WORKFLOWS_TEST_RABBITMQ; a missing one fails the
/// fixture, never skips it (./scripts/test.sh provisions both, and under CI=true fails the run when it cannot).
/// A host on PostgreSQL is given a signing key (there is no file beside the database for a development key), which
/// <see cref="SigningKey"/> holds so that a test can make tokens of its own.
/// </remarks>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly string? _server;
    private readonly string? _database;
    private readonly RabbitMqTestBroker? _broker;

    private TestBackend(Backend kind, string signingKey, IReadOnlyDictionary<string, string> settings, string? server = null, string? database = null, RabbitMqTestBroker? broker = null)
    {
        Kind = kind;
        SigningKey = signingKey;
        Settings = settings;
        _server = server;
        _database = database;
        _broker = broker;
    }

    public Backend Kind { get; }

    /// <summary>The store's and the bus's settings, and on PostgreSQL the signing key and the demo users.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>
    /// The key (base 64) a host on this backend signs tokens with: in the settings on PostgreSQL; on SQLite for a host
    /// process to be given (an in-process host on SQLite keeps the development key it writes beside the database).
    /// </summary>
    public string SigningKey { get; }

    private string ConnectionString => Settings["Workflows__Store__ConnectionString"];

    /// <summary>A SQLite file in <paramref name="directory"/> and the in-memory bus: nothing to provision.</summary>
    public static TestBackend Sqlite(string directory) => new(Backend.Sqlite, NewKey(), new Dictionary<string, string>
    {
        ["Workflows__Store__Provider"] = "Sqlite",
        ["Workflows__Store__ConnectionString"] = $"Data Source={Path.Combine(directory, "host.db")}",
    });

    /// <summary>Provisions <paramref name="kind"/>; a SQLite file goes in <paramref name="directory"/>.</summary>
    public static async Task<TestBackend> CreateAsync(Backend kind, string directory)
    {
        if (kind == Backend.Sqlite)
        {
            return Sqlite(directory);
        }

        var signingKey = NewKey();

        var server = Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and RabbitMQ and sets it");
        var database = "wf_host_" + Guid.NewGuid().ToString("N")[..12];
        var broker = await RabbitMqTestBroker.CreateAsync();
        try
        {
            await ExecuteAsync(server, $"CREATE DATABASE {database}");
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }

        var bus = broker.Connection();
        return new TestBackend(kind, signingKey, new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = "PostgreSql",
            ["Workflows__Store__ConnectionString"] = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString,
            ["Workflows__Auth__SigningKey"] = signingKey,
            ["Workflows__Auth__DemoUsers"] = "true",
            ["Workflows__Bus__Transport"] = "RabbitMq",
            ["Workflows__Bus__RabbitMq__Host"] = bus.Host,
            ["Workflows__Bus__RabbitMq__Port"] = bus.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Workflows__Bus__RabbitMq__Username"] = bus.Username,
            ["Workflows__Bus__RabbitMq__Password"] = bus.Password,
            ["Workflows__Bus__RabbitMq__VirtualHost"] = bus.VirtualHost,
            ["Workflows__Bus__PollInterval"] = "00:00:00.200",
        }, server, database, broker);
    }

    /// <summary>A connection of the test's own to the store, to count what the API does not show.</summary>
    public async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = Kind == Backend.Sqlite ? new SqliteConnection(ConnectionString + ";Pooling=False") : new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The one number a query of the store answers.</summary>
    public async Task<long> CountAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (_server is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(_server, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    private static string NewKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private static async Task ExecuteAsync(string server, string sql)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
