using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The PostgreSQL pool is bounded (Workflows:Store:MaxConnections, default 20) and never larger than the server
/// admits: requests beyond it wait for a connection instead of being refused with "too many clients".
/// </summary>
[NonParallelizable]
public sealed class PostgresPoolTests
{
    private readonly string _database = "wf_test_" + Guid.NewGuid().ToString("N")[..12];

    private static string Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");

    private string Database => new NpgsqlConnectionStringBuilder(Server) { Database = _database }.ConnectionString;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.ExecuteAsync($"CREATE DATABASE {_database}");
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Server);
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    [Test]
    public void The_pool_is_sized_by_the_setting_else_by_the_connection_string_else_twenty()
    {
        static int Size(SqlStoreOptions store) => new NpgsqlConnectionStringBuilder(store.PooledConnectionString).MaxPoolSize;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Size(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = "Host=db;Username=u" }), Is.EqualTo(20));
            Assert.That(Size(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = "Host=db;Username=u;Maximum Pool Size=7" }), Is.EqualTo(7));
            Assert.That(Size(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = "Host=db;Username=u;Maximum Pool Size=7", MaxConnections = 5 }), Is.EqualTo(5));
            Assert.That(Size(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = "Host=db;Username=u;Minimum Pool Size=30", MaxConnections = 5 }), Is.EqualTo(5),
                "a minimum above the bound is lowered to it");
            Assert.That(() => new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = "Host=db", ConfigurationSection = "Workflows:Store", MaxConnections = 0 }.Validate(),
                Throws.ArgumentException.With.Message.Contains("Workflows:Store:MaxConnections = 0 must be from 1 to 10,000"));
        }
    }

    [Test]
    public async Task A_pool_larger_than_the_server_admits_is_cut_to_it_at_start_with_a_warning_naming_the_setting()
    {
        var store = new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = Database, ConfigurationSection = "Workflows:Store", MaxConnections = 5000 };
        var log = new CollectingLog();

        await SqlWorkflowEngine.MigrateAsync(store, log, default);

        // Not pooled: an idle session of this test's would count against the next test's bound.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Database) { Pooling = false }.ConnectionString);
        var (max, reserved, superuser) = await connection.QuerySingleAsync<(int, int, bool)>(
            "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)");
        var admitted = superuser ? max : max - reserved;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(new NpgsqlConnectionStringBuilder(store.PooledConnectionString).MaxPoolSize, Is.EqualTo(admitted));
            Assert.That(log.Entries, Has.Some.Matches<(LogLevel Level, string Message)>(e =>
                e.Level == LogLevel.Warning && e.Message.Contains("pool of 5000 connections", StringComparison.Ordinal) && e.Message.Contains("Workflows:Store:MaxConnections", StringComparison.Ordinal)));
        }
    }

    [Test]
    public async Task Commands_and_reads_beyond_the_pool_wait_for_a_connection_and_all_succeed()
    {
        var store = new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = Database, MaxConnections = 3 };
        var engine = await SqlWorkflowEngine.CreateAsync(store);
        await engine.Deployments.DeployAsync(Process("pooled", $"""<bpmn:startEvent id="s"/>{UserTask("t")}<bpmn:endEvent id="e"/>{Chain("s", "t", "e")}"""));

        // Sampled from another database's connection: how many sessions this database holds while 60 clients work.
        var held = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(Server);
            await connection.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                var now = await connection.ExecuteScalarAsync<int>("SELECT count(*)::int FROM pg_stat_activity WHERE datname = @db AND backend_type = 'client backend'", new { db = _database });
                held = Math.Max(held, now);
                await Task.Delay(5);
            }
        });
        var clients = Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
        {
            var id = await engine.Runtime.StartAsync(new StartInstance("pooled"));
            return (await engine.Tasks.GetOpenAsync(id)).Count;
        })).ToList();
        var open = await Task.WhenAll(clients);
        await stop.CancelAsync();
        await sampler;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(open, Has.All.EqualTo(1), "every start committed and its task was read");
            Assert.That(held, Is.InRange(1, 3), "the database never held more sessions than the pool's bound");
        }
    }

    private sealed class CollectingLog : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
